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

Sharing: once a device's job has ended while another (runtime) device's still has at least `HELP_MIN` seeds to
start, a helper job takes the second half of them (its stop file lists them for the first job), so that the freed
core works on the slow device (one seed might run in both: a seed's run is the same in any process, and the first
final one is taken). A standalone device gets none: its first job holds the build folder's lock while it runs.
"""
from __future__ import annotations

import glob
import json
import os
import shutil
import tempfile
import threading
import time

from ..devices import get_device
from ..verdicts import OK
from . import script as script_mod
from .script import DeviceRun
from .waiting import STOP_FILE

POLL_S = 0.02
HELP_MIN = 8          # seeds a lagging job must still have to start, for a helper job


def can_stream(launch, devices: list) -> bool:
    return launch.runner is script_mod.run_device and launch.jobs >= len(devices)


class _Job:
    def __init__(self, launch, device: str, seeds: list[int]):
        self.device, self.seeds = device, seeds
        cache = launch.options.get("cache_dir")
        self.work_dir = tempfile.mkdtemp(prefix="b2h-stream-", dir=script_mod.runs_dir(
            cache if cache else script_mod.default_cache_dir()))
        self.result: DeviceRun | None = None
        self._out: str | None = None
        self._final: set = set()           # seeds seen final (polled every POLL_S: read once)
        self.t0 = time.perf_counter()
        self.thread = threading.Thread(target=self._run, args=(launch,), daemon=True)
        self.thread.start()

    def _run(self, launch) -> None:
        try:
            self.result = launch(self.device, self.seeds, True, work_dir=self.work_dir, keep=True)
        except BaseException as exc:          # noqa: BLE001  (a harness problem is the device's error)
            self.result = DeviceRun(self.device, "error", f"harness problem: {type(exc).__name__}: {exc}")

    def out_dir(self) -> str | None:
        if self._out is None:
            found = glob.glob(os.path.join(self.work_dir, f"{self.device}-*"))
            self._out = found[0] if found else None
        return self._out

    def stop(self, seeds: list[int] | None = None) -> None:
        """No more seeds (None), or not these."""
        out = self.out_dir()
        if out is not None:
            path = os.path.join(out, STOP_FILE)
            with open(path + ".tmp", "w") as f:
                f.write("" if seeds is None else json.dumps(seeds))
            os.replace(path + ".tmp", path)

    def final(self, seed: int) -> bool:
        """Written with status ok (not the first seed, which warm.py may amend) or the job has ended and wrote it."""
        if seed in self._final:
            return True
        out = self.out_dir()
        if out is None:
            return False
        path = os.path.join(out, f"seed-{seed}", "meta.json")
        if not self.thread.is_alive():
            done = os.path.exists(path)
        elif seed == self.seeds[0] or not os.path.exists(path):
            return False
        else:
            try:
                with open(path) as f:
                    done = json.load(f).get("status") == OK
            except (OSError, ValueError):
                return False
        if done:
            self._final.add(seed)
        return done

    def unstarted(self) -> list[int]:
        """Its seeds with no folder yet, in its order, the first (run first or, standalone, last) left out."""
        out = self.out_dir()
        if out is None or not self.thread.is_alive():
            return []
        return [s for s in self.seeds[1:] if not os.path.exists(os.path.join(out, f"seed-{s}"))]


class SeedStream:
    """`take(device, seeds)`: those seeds' runs once they are final; `close()`: stop the jobs, keep what was
    taken."""

    def __init__(self, launch, seeds: dict[str, list[int]]):
        self.launch = launch
        self.taken: dict[tuple, _Job] = {}          # (device, seed) -> the job whose run of it was taken
        self.jobs = {d: [_Job(launch, d, [s[-1]] + s[:-1])] for d, s in seeds.items() if s}
        self.lock = threading.Lock()

    def _done(self, device: str) -> bool:
        return not any(j.thread.is_alive() for j in self.jobs[device])

    def _help(self, device: str) -> None:
        """A helper job for `device` when another device's jobs have all ended (see the module docstring)."""
        with self.lock:
            if len(self.jobs[device]) > 1 or not any(self._done(d) for d in self.jobs if d != device):
                return
            if get_device(script_mod.base_name(device)).standalone:
                return          # its build folder is locked by the first job for as long as it runs
            main = self.jobs[device][0]
            pending = main.unstarted()
            if len(pending) < HELP_MIN:
                return
            share = pending[len(pending) // 2:]
            main.stop(share)
            self.jobs[device].append(_Job(self.launch, device, [share[-1]] + share[:-1]))

    def _ready(self, device: str, seed: int) -> bool:
        jobs = [j for j in self.jobs[device] if seed in j.seeds]
        return any(j.final(seed) for j in jobs) or all(not j.thread.is_alive() for j in jobs)

    def take(self, device: str, seeds: list[int]) -> DeviceRun:
        t0 = time.perf_counter()
        while not all(self._ready(device, s) for s in seeds):
            self._help(device)
            self.jobs[device][0].thread.join(POLL_S)
        runs = []
        for seed in seeds:
            jobs = [j for j in self.jobs[device] if seed in j.seeds]
            job = next((j for j in jobs if j.final(seed)), jobs[0])
            self.taken[(device, seed)] = job
            out = job.out_dir()
            if out is None:             # the job ended before its device process wrote anything
                reason = job.result.reason if job.result else "the device process wrote nothing"
                runs += script_mod._read_seeds(os.path.join(job.work_dir, "none"), [seed], True, reason)
                continue
            error = None if job.result is None or job.result.status == OK else job.result.reason
            runs += script_mod._read_seeds(out, [seed], True, error)
        status, reason = script_mod._overall(runs, len(seeds))
        return DeviceRun(device, status, reason, runs, time.perf_counter() - t0)

    def close(self) -> None:
        jobs = [j for js in self.jobs.values() for j in js]
        told: set = set()
        while any(j.thread.is_alive() for j in jobs):   # a job closed at once may not have made its folder yet
            for job in jobs:
                if id(job) not in told and job.out_dir() is not None:
                    job.stop()
                    told.add(id(job))
            next(j for j in jobs if j.thread.is_alive()).thread.join(POLL_S)
        for job in jobs:
            out = job.out_dir()
            if out is None:
                continue
            for seed in job.seeds:
                if self.taken.get((job.device, seed)) is not job:
                    shutil.rmtree(os.path.join(out, f"seed-{seed}"), ignore_errors=True)
            mine = [r for r in (job.result.runs if job.result else []) if self.taken.get((job.device, r.seed)) is job]
            script_mod.settle(job.work_dir, True, False, "error" if any(r.status != OK for r in mine) else OK)
