"""Run one unmodified Brian2 script on one device, for one or more seeds, in a process of its own.

`run_device` writes a job file and runs it in a device process: forked by the device's process server
(servers.py, forkserver.py: Brian2 imported once) or a fresh ``python -m brian2_harness.check.runner`` (the
device is chosen there before the script runs; see sandbox.py) and reads back one `SeedRun` per seed. Nothing
here imports Brian.
Devices, their probes and the cache folders are the harness's own (devices/, plumbing/cachedirs.py,
plumbing/buildcache.py):
a device that cannot run on this machine is a skip with the probe's reason; a device that can only build here
(cuda_standalone without a GPU) is built once, never run: status ``built``.
"""
from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from brian2_harness.devices import BUILD, CHECK_DEVICES, UNAVAILABLE, all_devices, get_device, is_known
from brian2_harness.devices.cpu import cython_cache
from brian2_harness.devices.releases import base_name, interpreter, python_for, release_of
from brian2_harness.plumbing import buildcache, extcache, processes
from brian2_harness.plumbing.cachedirs import default_cache_dir as harness_cache_dir
from brian2_harness.plumbing.cachedirs import default_compiled_dir
from brian2_harness.verdicts import BUILT, ERROR, OK, SKIP

from . import collect, servers
from .stats import run_statistics

DEFAULT_DEVICES = CHECK_DEVICES
KEPT: list[str] = []          # temporary run folders kept (something failed or was stopped), in order


def known_devices() -> list[str]:
    """Every device of the harness's catalog (devices/catalog.py), cuda_standalone included."""
    return [d.name for d in all_devices()]


def default_cache_dir() -> Path:
    """The harness's cache root (BRIAN2_HARNESS_CACHE or ~/.cache/brian2-harness), subfolder check/."""
    return harness_cache_dir() / "check"


@dataclass
class SeedRun:
    seed: int
    status: str
    reason: str
    observables: dict                 # kept for exact comparison only (stat=False); {} in statistical mode
    meta: dict
    folder: str = ""
    statistics: dict = field(default_factory=dict)   # stats.run_statistics of the run (always)


@dataclass
class DeviceRun:
    device: str
    status: str                       # ok | skip | error (ok only if every seed ran)
    reason: str
    runs: list[SeedRun] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def notes(self) -> list[str]:
        out: list[str] = []
        for r in self.runs:
            out += [n for n in r.meta.get("notes", []) if n not in out and "ran as seed(" not in n]
        return out

    @property
    def random_sources(self) -> list[str]:
        return sorted({s for r in self.runs for s in r.meta.get("random_sources", [])})

    def merged(self, other: "DeviceRun") -> "DeviceRun":
        status = self.status if self.status != OK else other.status
        reason = self.reason if self.status != OK else other.reason
        return DeviceRun(self.device, status, reason, self.runs + other.runs, self.seconds + other.seconds)


def probe(device: str) -> tuple[str, str]:
    """(mode, reason) of the catalog's probe: run | build (compile only: nothing to compare) | unavailable; a device
    under another release (`numpy@2.9.0`) is unavailable too while no interpreter of that release answers."""
    if not is_known(device):
        return UNAVAILABLE, (f"unknown device '{device}' (known: {', '.join(known_devices())}, each also as "
                             f"NAME@RELEASE)")
    p = get_device(base_name(device)).probe()
    if p.mode != UNAVAILABLE and release_of(device) is not None:
        python, why = interpreter(device)
        if python is None:
            return UNAVAILABLE, why
        return p.mode, f"{p.reason} (brian2 {release_of(device)}: {python})".strip()
    return p.mode, p.reason


def build_key(device: str, probe_reason: str) -> str:
    """One standalone build folder per (script file name, device, library versions, toolchain as probed). A rerun,
    an edited script or a copy of it elsewhere (pytest's tmp folders) is an incremental build: make recompiles what
    changed. Correctness never depends on the key (Brian rewrites changed files, make rebuilds them)."""
    return buildcache.build_key(device=device, toolchain=probe_reason if get_device(base_name(device))
                                .probe_in_build_key else "")


RUNS_KEPT = 50            # run folders (the scripts' logs) kept under the cache; older ones go at the next run
RUNS_MIN_AGE_S = 3600     # never one that may belong to a run still going on


def runs_dir(cache_dir: Path) -> str:
    """The folder of check's run folders, under the cache (not $TMPDIR): the logs results link to stay readable,
    and the folder stays bounded (the newest RUNS_KEPT, plus any younger than an hour)."""
    folder = Path(cache_dir) / "runs"
    folder.mkdir(parents=True, exist_ok=True)
    with contextlib.suppress(OSError):
        entries = sorted(((e.stat(follow_symlinks=False).st_mtime, e.path) for e in os.scandir(folder)
                          if e.name.startswith("b2h-check-")), reverse=True)
        now = time.time()
        for mtime, path in entries[RUNS_KEPT:]:
            if now - mtime > RUNS_MIN_AGE_S:
                shutil.rmtree(path, ignore_errors=True)
    return str(folder)


def _keep_logs_only(folder: str) -> None:
    """Remove what a finished run left except the script's output (log.txt) and meta.json, which results
    reference."""
    for root, dirs, files in os.walk(folder, topdown=True):
        if os.path.basename(root) == "cwd":
            shutil.rmtree(root, ignore_errors=True)
            dirs[:] = []
            continue
        for name in files:
            if name not in ("log.txt", "meta.json", "runner.log"):
                with contextlib.suppress(OSError):
                    os.remove(os.path.join(root, name))


class DeviceRunner(Protocol):
    """What `check` calls to run a script on a device: `run_device` here, `cluster.DaskRunner` on a Dask cluster,
    the pytest plugin's cached runner. Every runner takes every keyword (tests/test_cluster_safety.py compares the
    signatures), so an option added to `run_device` cannot be dropped by another runner."""

    def __call__(self, script: str, device: str, seeds: list[int], *, stat: bool = False, cap: float | None = None,
                 observe: list[str] | None = None, timeout: float = 600.0, cache_dir: Path | None = None,
                 work_dir: str | None = None, args: list[str] | None = None, keep: bool = False,
                 perturb: int = 0, fresh: bool | None = None) -> DeviceRun: ...


def new_work_dir(cache_dir: Path | None) -> str:
    """A run's own folder under check's run folders (runs_dir: the cache, not $TMPDIR)."""
    return tempfile.mkdtemp(prefix="b2h-check-", dir=runs_dir(Path(cache_dir) if cache_dir else default_cache_dir()))


def settle(work_dir: str, own: bool, keep: bool, status: str) -> None:
    """What a run's own folder keeps: the logs of a run that passed or built (arrays are in memory), everything of
    one that failed or was stopped (listed in KEPT)."""
    if own and not keep and status in (OK, BUILT):
        _keep_logs_only(work_dir)
    elif own:
        KEPT.append(work_dir)


def device_process(device: str, job_file: str, log_path: str, env: dict, limit: float, timeout: float,
                   fresh: bool | None = None, plotting: bool = True) -> str | None:
    """Run the job (runner.py) on the device's process server or in a fresh interpreter; why it failed (None: it
    exited with status 0)."""
    timed_out = f"device process timed out after {limit:.0f} s (--timeout {timeout:g} s per run)"
    if not fresh and (fresh is not None or servers.wanted()) and servers.available():
        try:
            rc = servers.run(device, job_file, log_path, env, limit, plotting)
            return None if rc == 0 else f"device process exited with status {rc}"
        except subprocess.TimeoutExpired:
            return timed_out
        except servers.ServerGone as exc:
            if exc.started or processes.stopping():
                return f"device process ended: {exc}"
            # the server could not start or ended before the run started: a fresh interpreter instead
    with open(log_path, "a") as log:
        proc = processes.start([python_for(device), "-m", "brian2_harness.check.runner", job_file], stdout=log,
                               stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env)
        try:
            rc = processes.wait(proc, limit)
            return None if rc == 0 else f"device process exited with status {rc}"
        except subprocess.TimeoutExpired:
            return timed_out
        finally:
            processes.finish(proc)     # the script's leftovers (`sleep &`, a stuck make) end with its run


def run_device(script: str, device: str, seeds: list[int], *, stat: bool = False, cap: float | None = None,
               observe: list[str] | None = None, timeout: float = 600.0, cache_dir: Path | None = None,
               work_dir: str | None = None, args: list[str] | None = None, keep: bool = False,
               perturb: int = 0, fresh: bool | None = None) -> DeviceRun:
    """Run `script` on `device` once per seed (one process; a fork per seed, or one for a runtime device's seeds:
    warm.py). `timeout` is per seed. The process is forked by the device's process server (servers.py) unless
    `fresh` (None: unless --fresh-processes, i.e. servers.FRESH_VAR, or fork is unavailable): then a fresh
    interpreter, and a standalone device rebuilds the project for every seed instead of running its one build once
    per seed (branches.py): today's path before both."""
    t0 = time.perf_counter()
    mode, why = probe(device)
    if mode == UNAVAILABLE:
        return DeviceRun(device, SKIP, f"{device} cannot run here: {why}", seconds=0.0)
    if not os.path.isfile(script):
        return DeviceRun(device, ERROR, f"script not found: {script}")
    if mode == BUILD:            # one build serves every seed; a build is never run, so one is enough
        seeds = list(seeds)[:1]
    cache_dir = Path(cache_dir) if cache_dir else default_cache_dir()
    compiled = default_compiled_dir() or cache_dir
    own_tmp = work_dir is None
    work_dir = work_dir or new_work_dir(cache_dir)
    out_dir = tempfile.mkdtemp(prefix=f"{device}-", dir=work_dir)
    job = dict(script=os.path.abspath(script), device=base_name(device), seeds=list(seeds), stat=stat, cap=cap,
               observe=list(observe or []), build_cache=str(cache_dir), build_label=f"{Path(script).stem}-{device}",
               build_key=build_key(device, why), build_only=mode == BUILD, build_note=why,
               cython_dir=cython_cache(str(compiled)), out_dir=out_dir, seed_timeout=timeout, args=list(args or []),
               perturb=perturb, rebuild_per_seed=servers.fresh_requested() if fresh is None else bool(fresh))
    job_file, log_path, env = _prepare_job(job, out_dir)
    limit = timeout * len(seeds) + 120
    started = time.time()
    runner_error = device_process(device, job_file, log_path, env, limit, timeout, fresh, servers.plots(script))
    if runner_error:             # killed or died, maybe while linking a Cython module into the shared cache
        extcache.repair(job["cython_dir"], since=started)
    runs = _read_seeds(out_dir, seeds, stat, runner_error)
    status, reason = _overall(runs, len(seeds))
    result = DeviceRun(device, status, reason, runs, time.perf_counter() - t0)
    settle(work_dir, own_tmp, keep, status)
    return result


def _prepare_job(job: dict, out_dir: str) -> tuple[str, str, dict]:
    """Write the job file and an empty runner log into `out_dir`: (job file, log, the device process's
    environment, whose temporary files go into the run's folder)."""
    job_file = os.path.join(out_dir, "job.json")
    with open(job_file, "w") as f:
        json.dump(job, f, indent=1)
    log_path = os.path.join(out_dir, "runner.log")
    open(log_path, "w").close()
    tmp = os.path.join(out_dir, "tmp")     # Brian's own logs, the compiler's temp files: away with the run's folder
    os.makedirs(tmp, exist_ok=True)
    return job_file, log_path, servers.job_environment(tmp)


def _read_seeds(out_dir: str, seeds: list[int], stat: bool, runner_error: str | None) -> list[SeedRun]:
    """One SeedRun per seed from what the device process wrote (an error where it wrote nothing)."""
    runs = []
    for seed in seeds:
        folder = os.path.join(out_dir, f"seed-{seed}")
        if not os.path.exists(os.path.join(folder, "meta.json")):
            runs.append(SeedRun(seed, ERROR, runner_error or "no result written", {}, {}, folder))
            continue
        observables, meta = collect.load(folder)
        statistics = run_statistics(observables, float(meta.get("t_end") or 0.0)) if observables else {}
        if stat:       # statistical mode needs the statistics only: K runs of big monitors stay out of memory
            observables = {}
        runs.append(SeedRun(seed, meta.get("status", ERROR), meta.get("reason", ""), observables, meta, folder,
                            statistics))
    return runs


def _overall(runs: list[SeedRun], n_seeds: int) -> tuple[str, str]:
    """The device's (status, reason) over its seeds: ok, else built/skip when every other seed is, else the first
    error."""
    bad = [r for r in runs if r.status != OK]
    if not bad:
        return OK, ""
    if all(r.status == BUILT for r in bad):
        return BUILT, bad[0].reason
    if all(r.status == SKIP for r in bad):
        return SKIP, bad[0].reason
    first = next(r for r in bad if r.status == ERROR)
    return ERROR, first.reason + (f" (seed {first.seed}; log: {os.path.join(first.folder, 'log.txt')})"
                                  if n_seeds > 1 else f" (log: {os.path.join(first.folder, 'log.txt')})")
