"""The order in which a run's jobs start.

Every first batch starts before any second one, and a standalone job waits while another job of its build family
(device, dtype, dt: what buildcache.py seeds from) is running and none has finished in this run; other jobs
go ahead meanwhile. The waiting job then starts from its sibling's finished folder and make recompiles the few
files that differ, instead of compiling the whole project beside it (measured in docs/speed.md). A job
never waits for anything but a running job of this run, so nothing can wait forever.
"""
from __future__ import annotations

import collections
import threading


def family(job, use_cache: bool, standalone: bool):
    """The build family a job's folder is seeded from, or None (runtime device, or no build cache)."""
    if not (use_cache and standalone):
        return None
    first = job.cases[0] if job.cases else None
    return (job.device, job.dtype, getattr(first, "dt", None), job.mode)


class Dispatcher:
    """Hands jobs to runner threads (take / done); `families` maps a job's id to its build family or None."""

    def __init__(self, jobs: list, families: dict, abort: threading.Event):
        self._pending = sorted(jobs, key=lambda j: j.batch)      # stable: plan order within a batch index
        self._families = families
        self._abort = abort
        self._cond = threading.Condition()
        self._running: collections.Counter = collections.Counter()
        self._finished: set = set()

    def _ready(self, job) -> bool:
        f = self._families.get(id(job))
        return f is None or f in self._finished or self._running[f] == 0

    def take(self):
        """The next job that may start (blocks while only waiting jobs are left); None when none is left."""
        with self._cond:
            while not self._abort.is_set() and self._pending:
                for k, job in enumerate(self._pending):
                    if self._ready(job):
                        del self._pending[k]
                        f = self._families.get(id(job))
                        if f is not None:
                            self._running[f] += 1
                        return job
                self._cond.wait(timeout=0.5)
            return None

    def done(self, job) -> None:
        """A job ended (whatever its result): its family's waiting jobs may start."""
        with self._cond:
            f = self._families.get(id(job))
            if f is not None:
                self._running[f] -= 1
                self._finished.add(f)
            self._cond.notify_all()
