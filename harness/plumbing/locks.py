"""One way to hold a file lock: `exclusive(path)` (flock on PATH, opened without following a planted symlink:
nofollow.py; safe across processes, pytest-xdist workers and concurrent runs). Build folders (buildcache.py) and the
pytest plugin's cached check results (check/plugin_cache.py) use it."""
from __future__ import annotations

import contextlib
import fcntl

from brian2_harness import nofollow


@contextlib.contextmanager
def exclusive(lock_path):
    """Hold an exclusive lock on `lock_path` (created if missing) for the body."""
    with nofollow.open_lock(lock_path) as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
