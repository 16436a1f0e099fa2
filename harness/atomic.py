"""Atomic file writes: a temp file in the same folder, fsync, rename. Readers never see half a file.

The temp file (mkstemp: mode 0600) gets the mode an ordinary `open(path, "w")` would give before it is
renamed: 0666 minus the process umask (0644 under umask 022), so artifacts are readable as users expect.
"""
from __future__ import annotations

import os
import tempfile
import threading

from brian2_harness.errors import UsageError

_UMASK_LOCK = threading.Lock()


def current_umask() -> int:
    """The process umask, read without changing it where the OS tells (Linux: /proc/self/status)."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    with _UMASK_LOCK:            # elsewhere: set and restore (brief; serialized within this process)
        mask = os.umask(0o022)
        os.umask(mask)
    return mask


def atomic_write_bytes(path: str, data: bytes) -> None:
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".tmp-", suffix=os.path.basename(path))
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            if hasattr(os, "fchmod"):
                os.fchmod(f.fileno(), 0o666 & ~current_umask())
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


def atomic_write_text(path: str, text: str) -> None:
    atomic_write_bytes(path, text.encode())


def write_output(path, data: str | bytes, what: str, after: str = "") -> None:
    """An output file the user named: written atomically; an OSError (no such folder, no permission, a folder
    in the way, a full disk) becomes one `UsageError` naming `what` and the path (then `after`), so the command
    line exits 2 with one line. outputs.py checks the places before the work; this covers what changed since."""
    path = os.fspath(path)
    try:
        atomic_write_bytes(path, data.encode() if isinstance(data, str) else data)
    except OSError as exc:
        raise UsageError(f"{what} '{path}': {exc.strerror or exc}{after}") from None
