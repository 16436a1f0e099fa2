"""Waiting for a device process's children: a run's child within its timeout, the warm seeds' child while it makes
progress; what a child leaves behind ends with it."""
from __future__ import annotations

import contextlib
import json
import os
import signal
import time


def end_group(pid: int) -> None:
    """What the run left behind (`sleep &`, a stuck make) ends with it (before the run is reaped, so that its process
    group id cannot name anyone else)."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)


def wait(pid: int, timeout: float) -> tuple[int | None, float]:
    """Wait for `pid` at most `timeout` seconds: (its raw status, seconds), or (None, seconds) once killed."""
    return wait_progress(pid, timeout, lambda: 0)


STOP_FILE = "stop"


def stopped(out_dir: str, seed: int | None = None) -> bool:
    """The check takes no more of this job's seeds, or not `seed` (a helper job runs it: seed_stream.py); the
    stop file is empty (every seed) or a JSON list of the seeds to leave."""
    try:
        with open(os.path.join(out_dir, STOP_FILE)) as f:
            text = f.read()
    except OSError:
        return False
    if not text.strip():
        return True
    try:
        return seed in json.loads(text)
    except ValueError:
        return True


def finished_runs(out_dir: str) -> int:
    """Runs the warm child has written so far (its progress)."""
    with contextlib.suppress(OSError):
        return sum(os.path.exists(os.path.join(e.path, "meta.json")) for e in os.scandir(out_dir) if e.is_dir())
    return 0


def wait_progress(pid: int, timeout: float, progress) -> tuple[int | None, float]:
    """Wait for `pid` while it makes progress: killed (None) once `timeout` seconds pass without a new finished
    run."""
    t0 = mark = time.monotonic()
    last = progress()
    while True:
        if os.waitid(os.P_PID, pid, os.WEXITED | os.WNOWAIT | os.WNOHANG) is not None:
            end_group(pid)
            return os.waitpid(pid, 0)[1], time.monotonic() - t0
        now = progress()
        if now != last:
            last, mark = now, time.monotonic()
        elif time.monotonic() - mark > timeout:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            return None, time.monotonic() - t0
        time.sleep(0.02)
