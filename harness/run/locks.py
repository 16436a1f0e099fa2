"""One way to hold a file lock: `exclusive(path)` (flock on PATH; safe across processes, pytest-xdist workers
and concurrent runs). Build folders (buildcache.py) and cached check results (the pytest plugin) use it."""
from __future__ import annotations

import contextlib
import fcntl


@contextlib.contextmanager
def exclusive(lock_path):
    """Hold an exclusive lock on `lock_path` (created if missing) for the body."""
    with open(lock_path, "a+") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
