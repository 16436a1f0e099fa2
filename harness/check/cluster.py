"""`check --scheduler`: each (script, device) run of `check` as a Dask task (run/cluster.py connects).

The script travels as text (its file name kept: it names the worker's standalone build folder, so a rerun on the
same worker compiles nothing) with its path: a worker that sees the same file at that path (this machine, a shared
file system) runs it there, so a module or data file next to it is found; the worker runs it exactly as
`run_device` does here, with every keyword
(`DaskRunner` has `run_device`'s signature: script.DeviceRunner, compared by a test), and returns each seed's
meta.json text, observables.npz bytes and the script's output (log.txt, at most LOG_MAX bytes: its end), which the
client writes into its own run folder and reads with the same code as a local run. The worker's folder is gone
when the task ends, so every log path a result names (meta "log", an error's "log:") is the client's copy. The
client's run folders are check's own (script.runs_dir under the cache, never $TMPDIR), kept or trimmed as a local
run's (script.settle). Elsewhere a script that imports or reads files next to itself misses them (its verdict
says which module or file). The
(script, device) pair always prefers the same worker (a hash over the sorted workers), where its build is warm.
"""
from __future__ import annotations

import hashlib
import json
import os
import socket
import tempfile
import time
import uuid
from pathlib import Path

from ..plumbing import processes
from ..plumbing.tasks import task_failure
from . import collect
from .script import ERROR, DeviceRun, SeedRun, new_work_dir, run_device, settle
from .stats import run_statistics

LOG_MAX = 2_000_000     # bytes of a seed's log.txt sent back (its end: where an error is)
POLL_S = 0.2            # how often a waiting call looks for a stop (SIGINT/SIGTERM)


def _tail(path: str) -> str:
    if not os.path.exists(path):
        return ""
    with open(path, "rb") as f:
        f.seek(max(0, os.path.getsize(path) - LOG_MAX))
        return f.read().decode("utf-8", "replace")


def run_device_task(spec_text: str) -> dict:
    """On a worker: `run_device` of the script sent as text; plain data back."""
    spec = json.loads(spec_text)
    with tempfile.TemporaryDirectory(prefix="b2h-check-task-") as tmp:
        os.makedirs(os.path.join(tmp, "work"))
        script = script_here(spec, tmp)
        run = run_device(script, spec["device"], spec["seeds"], stat=spec["stat"], cap=spec["cap"],
                         observe=spec["observe"], timeout=spec["timeout"], work_dir=os.path.join(tmp, "work"),
                         args=spec["args"], keep=True, perturb=spec["perturb"],
                         fresh=spec.get("fresh"))
        seeds = []
        for r in run.runs:
            meta_path, npz_path = (os.path.join(r.folder, n) for n in ("meta.json", "observables.npz"))
            seeds.append({"seed": r.seed, "status": r.status, "reason": r.reason, "folder": r.folder,
                          "meta": _read(meta_path, "r") if os.path.exists(meta_path) else "",
                          "observables": _read(npz_path, "rb") if os.path.exists(npz_path) else b"",
                          "log": _tail(os.path.join(r.folder, "log.txt"))})
        runner_log = _tail(os.path.join(os.path.dirname(run.runs[0].folder), "runner.log")) if run.runs else ""
    return {"device": run.device, "status": run.status, "reason": run.reason, "seconds": run.seconds,
            "seeds": seeds, "host": socket.gethostname(), "tmp": tmp, "runner_log": runner_log}


def script_here(spec: dict, tmp: str) -> str:
    """The script as the worker runs it: the client's own path where this worker sees the same file there (the
    same machine or a shared file system), so that what lies next to it (a module it imports, a data file) is
    found as in a local run (run_device copies the folder; nothing is written into it); else the sent text in a
    folder of its own."""
    original = spec.get("path") or ""
    try:
        if original and os.path.isfile(original) and _read(original, "r") == spec["text"]:
            return original
    except (OSError, UnicodeDecodeError):
        pass
    script = os.path.join(tmp, "script", spec["name"])
    os.makedirs(os.path.dirname(script), exist_ok=True)
    _write(script, spec["text"])
    return script


def _read(path: str, mode: str):
    with open(path, mode) as f:
        return f.read()


def _write(path: str, data, mode: str = "w") -> None:
    with open(path, mode) as f:
        f.write(data)


def _seed_run(s: dict, stat: bool, seed_dir: str) -> SeedRun:
    os.makedirs(seed_dir, exist_ok=True)
    if s.get("log"):
        _write(os.path.join(seed_dir, "log.txt"), s["log"])
    if not s["meta"]:
        return SeedRun(s["seed"], s["status"], _here(s["reason"], s, seed_dir), {}, {}, seed_dir)
    meta_in = json.loads(s["meta"])
    if meta_in.get("log"):
        meta_in["log"] = os.path.join(seed_dir, "log.txt")          # the client's copy: the worker's is gone
    _write(os.path.join(seed_dir, "meta.json"), json.dumps(meta_in))
    if s["observables"]:
        _write(os.path.join(seed_dir, "observables.npz"), s["observables"], "wb")
    observables, meta = collect.load(seed_dir)
    statistics = run_statistics(observables, float(meta.get("t_end") or 0.0)) if observables else {}
    return SeedRun(s["seed"], meta.get("status", ERROR), _here(meta.get("reason", ""), s, seed_dir),
                   {} if stat else observables, meta, seed_dir, statistics)


def _here(text: str, s: dict, seed_dir: str) -> str:
    return text.replace(s.get("folder") or "\0", seed_dir) if text else text


def device_run(result: dict, stat: bool, folder: str) -> DeviceRun:
    """The client's DeviceRun from a task's result (seed folders written under `folder`, read as locally)."""
    if result.get("runner_log"):
        _write(os.path.join(folder, "runner.log"), result["runner_log"])
    runs, reason = [], result["reason"]
    for s in result["seeds"]:
        seed_dir = os.path.join(folder, f"seed-{s['seed']}")
        runs.append(_seed_run(s, stat, seed_dir))
        reason = _here(reason, s, seed_dir)
    if result.get("tmp"):           # any other path of the worker's (gone) folder: named with its host
        reason = reason.replace(result["tmp"], f"{result['host']}:{result['tmp']}")
    return DeviceRun(result["device"], result["status"], reason, runs, result["seconds"])


def preferred(workers: list[str], script: str, device: str) -> str:
    digest = hashlib.sha256(f"{os.path.basename(script)}|{device}".encode()).hexdigest()
    return sorted(workers)[int(digest, 16) % len(workers)]


def _wait(fut):
    """The task's result; a stop (processes.stop_all, on SIGINT/SIGTERM) cancels it and raises KeyboardInterrupt
    within POLL_S, so that `check` never waits for a task to finish before it stops. Polls `done()` and asks for
    the result once, without a timeout: distributed 2026.8's `result(timeout=...)` raced now and then, a task's
    timeout against its end, and raised UnboundLocalError ('result') for a task that had run."""
    while not fut.done():
        if processes.stopping():
            fut.cancel()
            raise KeyboardInterrupt
        time.sleep(POLL_S)
    return fut.result()


class DaskRunner:
    """A drop-in for `run_device` (check's `runner=`, script.DeviceRunner) that runs each call on the cluster."""

    def __init__(self, client, workers: list[str]):
        self.client, self.workers, self.tasks = client, list(workers), 0

    def __call__(self, script: str, device: str, seeds: list[int], *, stat: bool = False, cap: float | None = None,
                 observe: list[str] | None = None, timeout: float = 600.0, cache_dir: Path | None = None,
                 work_dir: str | None = None, args: list[str] | None = None, keep: bool = False,
                 perturb: int = 0, fresh: bool | None = None) -> DeviceRun:
        """`cache_dir` is this machine's (run folders); the workers build in their own cache."""
        t0 = time.perf_counter()
        if not os.path.isfile(script):
            return DeviceRun(device, ERROR, f"script not found: {script}")
        spec = json.dumps({"name": os.path.basename(script), "path": os.path.abspath(script),
                           "text": _read(script, "r"), "device": device,
                           "seeds": list(seeds), "stat": stat, "cap": cap, "observe": list(observe or []),
                           "timeout": timeout, "args": list(args or []), "perturb": int(perturb),
                           "fresh": fresh})
        self.tasks += 1
        fut = self.client.submit(run_device_task, spec, key=f"b2h-check-{device}-{uuid.uuid4().hex[:12]}",
                                 pure=False, workers=[preferred(self.workers, script, device)],
                                 allow_other_workers=True)
        try:
            result = _wait(fut)
        except KeyboardInterrupt:
            raise
        except Exception as exc:        # a lost task is an error for this device, never a crash of check
            return DeviceRun(device, ERROR, task_failure(exc), seconds=time.perf_counter() - t0)
        own = work_dir is None
        work_dir = work_dir or new_work_dir(cache_dir)
        run = device_run(result, stat, tempfile.mkdtemp(prefix=f"{device}-", dir=work_dir))
        for seed_run in run.runs:      # the script the user named, not the worker's copy
            seed_run.meta["script"] = script
        settle(work_dir, own, keep, run.status)
        return run
