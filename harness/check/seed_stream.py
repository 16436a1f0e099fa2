"""Seeds that run ahead of the looks (`check --max-seeds`): each device's seeds up to N start as one job, and a look
takes the first K of them as soon as they are written.

A job per look paid, on every look, a process's first run (a runtime device's cold code generation, a standalone
device's script run and build lookup) and waited at the look's barrier for the slowest device while the other's
core idled. One job per device keeps each device's process warm from the first look to the last; the looks read
the seeds in the order the sequential design takes them, so what a look sees does not depend on which run ended
first. When the check stops, a `stop` file in each job's folder ends it before its next seed (runner.py,
branches.py), and the seeds it did not take are removed.

Order: a job's first seed is the one a runtime device runs cold and a standalone device runs last (its binary
after the branches of the others, branches.py), so the stream puts the seed only the last look needs first.
Only `run_device` streams (it writes where this module reads); the cluster and cached runners run a job per look.
"""
from __future__ import annotations

import glob
import json
import os
import shutil
import tempfile
import threading
import time

from ..verdicts import OK
from . import script as script_mod
from .script import DeviceRun
from .waiting import STOP_FILE

POLL_S = 0.02


def can_stream(launch, devices: list) -> bool:
    return launch.runner is script_mod.run_device and launch.jobs >= len(devices)


class _Job:
    def __init__(self, launch, device: str, seeds: list[int]):
        self.device, self.seeds = device, seeds
        cache = launch.options.get("cache_dir")
        self.work_dir = tempfile.mkdtemp(prefix="b2h-stream-", dir=script_mod.runs_dir(
            cache if cache else script_mod.default_cache_dir()))
        self.result: DeviceRun | None = None
        self.t0 = time.perf_counter()
        self.thread = threading.Thread(target=self._run, args=(launch,), daemon=True)
        self.thread.start()

    def _run(self, launch) -> None:
        try:
            self.result = launch(self.device, self.seeds, True, work_dir=self.work_dir, keep=True)
        except BaseException as exc:          # noqa: BLE001  (a harness problem is the device's error)
            self.result = DeviceRun(self.device, "error", f"harness problem: {type(exc).__name__}: {exc}")

    def out_dir(self) -> str | None:
        found = glob.glob(os.path.join(self.work_dir, f"{self.device}-*"))
        return found[0] if found else None

    def ready(self, seed: int) -> bool:
        """The seed's result is final: written with status ok and not the job's first seed (whose meta.json
        warm.py may still amend), or the job has ended."""
        if not self.thread.is_alive():
            return True
        out = self.out_dir()
        if out is None or seed == self.seeds[0]:
            return False
        try:
            with open(os.path.join(out, f"seed-{seed}", "meta.json")) as f:
                return json.load(f).get("status") == OK
        except (OSError, ValueError):
            return False

    def stop(self) -> None:
        out = self.out_dir()
        if out is not None:
            open(os.path.join(out, STOP_FILE), "w").close()


class SeedStream:
    """`take(device, seeds)`: those seeds' runs once they are final; `close()`: stop the jobs, keep what was
    taken."""

    def __init__(self, launch, seeds: dict[str, list[int]]):
        self.taken: dict[str, set] = {d: set() for d in seeds}
        self.jobs = {d: _Job(launch, d, [s[-1]] + s[:-1]) for d, s in seeds.items() if s}

    def take(self, device: str, seeds: list[int]) -> DeviceRun:
        job = self.jobs[device]
        t0 = time.perf_counter()
        while not all(job.ready(s) for s in seeds):
            job.thread.join(POLL_S)
        out = job.out_dir()
        if out is None:                 # the job ended before its device process wrote anything
            result = job.result or DeviceRun(device, "error", "the device process wrote nothing")
            return DeviceRun(device, result.status, result.reason, [], time.perf_counter() - t0)
        error = None if job.thread.is_alive() or (job.result and job.result.status == OK) else \
            (job.result.reason if job.result else None)
        runs = script_mod._read_seeds(out, seeds, True, error)
        status, reason = script_mod._overall(runs, len(seeds))
        self.taken[device].update(seeds)
        return DeviceRun(device, status, reason, runs, time.perf_counter() - t0)

    def close(self) -> None:
        for job in self.jobs.values():
            job.stop()
        for job in self.jobs.values():
            job.thread.join()
            out = job.out_dir()
            if out is None:
                continue
            for seed in job.seeds:
                if seed not in self.taken[job.device]:
                    shutil.rmtree(os.path.join(out, f"seed-{seed}"), ignore_errors=True)
            with_errors = job.result is not None and job.result.status != OK and any(
                r.status != OK for r in (job.result.runs or []) if r.seed in self.taken[job.device])
            script_mod.settle(job.work_dir, True, False, "error" if with_errors else OK)
