"""`check --scheduler`: each (script, device) run of `check` as a Dask task (run/cluster.py connects).

The script travels as text (its file name kept: it names the worker's standalone build folder, so a rerun on the
same worker compiles nothing); the worker runs it exactly as `run_device` does here and returns each seed's
meta.json text and observables.npz bytes, which the client reads with the same code as a local run. A script
that reads files next to itself needs them on the workers at the same path. The (script, device) pair always
prefers the same worker (a hash over the sorted workers), where its build is warm.
"""
from __future__ import annotations

import hashlib
import json
import os
import socket
import tempfile
import time
import uuid

from ..plumbing.tasks import task_failure
from . import collect
from .script import ERROR, DeviceRun, SeedRun, run_device
from .stats import run_statistics


def run_device_task(spec_text: str) -> dict:
    """On a worker: `run_device` of the script sent as text; plain data back."""
    spec = json.loads(spec_text)
    with tempfile.TemporaryDirectory(prefix="b2h-check-task-") as tmp:
        script = os.path.join(tmp, "script", spec["name"])
        os.makedirs(os.path.dirname(script))
        os.makedirs(os.path.join(tmp, "work"))
        with open(script, "w") as f:
            f.write(spec["text"])
        run = run_device(script, spec["device"], spec["seeds"], stat=spec["stat"], cap=spec["cap"],
                         observe=spec["observe"], timeout=spec["timeout"], work_dir=os.path.join(tmp, "work"),
                         args=spec["args"], keep=True)
        seeds = []
        for r in run.runs:
            meta_path, npz_path = (os.path.join(r.folder, n) for n in ("meta.json", "observables.npz"))
            seeds.append({"seed": r.seed, "status": r.status, "reason": r.reason,
                          "meta": _read(meta_path, "r") if os.path.exists(meta_path) else "",
                          "observables": _read(npz_path, "rb") if os.path.exists(npz_path) else b""})
    host = socket.gethostname()
    return {"device": run.device, "status": run.status, "reason": run.reason.replace(tmp, f"{host}:{tmp}"),
            "seconds": run.seconds, "seeds": seeds, "host": host}


def _read(path: str, mode: str):
    with open(path, mode) as f:
        return f.read()


def device_run(result: dict, stat: bool, folder: str) -> DeviceRun:
    """The client's DeviceRun from a task's result (seed folders written under `folder`, read as locally)."""
    runs = []
    for s in result["seeds"]:
        seed_dir = os.path.join(folder, f"seed-{s['seed']}")
        if not s["meta"]:
            runs.append(SeedRun(s["seed"], s["status"], s["reason"], {}, {}, seed_dir))
            continue
        os.makedirs(seed_dir, exist_ok=True)
        with open(os.path.join(seed_dir, "meta.json"), "w") as f:
            f.write(s["meta"])
        if s["observables"]:
            with open(os.path.join(seed_dir, "observables.npz"), "wb") as f:
                f.write(s["observables"])
        observables, meta = collect.load(seed_dir)
        statistics = run_statistics(observables, float(meta.get("t_end") or 0.0)) if observables else {}
        runs.append(SeedRun(s["seed"], meta.get("status", ERROR), meta.get("reason", ""),
                            {} if stat else observables, meta, seed_dir, statistics))
    return DeviceRun(result["device"], result["status"], result["reason"], runs, result["seconds"])


def preferred(workers: list[str], script: str, device: str) -> str:
    digest = hashlib.sha256(f"{os.path.basename(script)}|{device}".encode()).hexdigest()
    return sorted(workers)[int(digest, 16) % len(workers)]


class DaskRunner:
    """A drop-in for `run_device` (check's `runner=`) that runs each call on the cluster."""

    def __init__(self, client, workers: list[str]):
        self.client, self.workers, self.tasks = client, list(workers), 0

    def __call__(self, script, device, seeds, *, stat=False, cap=None, observe=None, timeout=600.0,
                 cache_dir=None, work_dir=None, args=None, keep=False) -> DeviceRun:
        t0 = time.perf_counter()
        if not os.path.isfile(script):
            return DeviceRun(device, ERROR, f"script not found: {script}")
        with open(script) as f:
            text = f.read()
        spec = json.dumps({"name": os.path.basename(script), "text": text, "device": device, "seeds": list(seeds),
                           "stat": stat, "cap": cap, "observe": list(observe or []), "timeout": timeout,
                           "args": list(args or [])})
        self.tasks += 1
        fut = self.client.submit(run_device_task, spec, key=f"b2h-check-{device}-{uuid.uuid4().hex[:12]}",
                                 pure=False, workers=[preferred(self.workers, script, device)],
                                 allow_other_workers=True)
        try:
            result = fut.result()
        except Exception as exc:        # a lost task is an error for this device, never a crash of check
            return DeviceRun(device, ERROR, task_failure(exc), seconds=time.perf_counter() - t0)
        folder = tempfile.mkdtemp(prefix=f"b2h-check-{device}-", dir=work_dir)
        run = device_run(result, stat, folder)
        for seed_run in run.runs:      # the script the user named, not the worker's copy (logs stay host paths)
            seed_run.meta["script"] = script
        return run
