"""Brian's Cython cache keeps each compiled module at a fixed path and trusts any file there. A run killed while the
linker wrote one (a timeout ends the run's process group with SIGKILL) leaves an empty or truncated module that every
later run with the same code fails to import ("file too short"), an error that looks like Brian's. `incomplete` tells
such a file from a whole one by its ELF header; `repair` removes them, each under the lock Brian builds it under."""
from __future__ import annotations

import contextlib
import fcntl
import os
import struct

from brian2_harness import nofollow

ELF_MAGIC = b"\x7fELF"


def incomplete(path: str) -> bool:
    """A module no loader can use because its writing stopped: empty, a zero header (GNU ld writes the ELF header
    last), or an ELF file shorter than the section and program header tables its header places. Another format
    (Mach-O on macOS) is never judged incomplete."""
    try:
        size = os.path.getsize(path)
        with open(path, "rb") as f:
            head = f.read(64)
    except OSError:
        return False
    if size == 0 or head[:4] == b"\0\0\0\0":
        return True
    if head[:4] != ELF_MAGIC:
        return len(head) < 4
    return len(head) < 64 or size < _tables_end(head)


def _tables_end(head: bytes) -> int:
    """Where the ELF header's program and section header tables end (the file must be at least that long)."""
    order = "<" if head[5] == 1 else ">"
    if head[4] == 2:                                                   # ELFCLASS64
        phoff, shoff = struct.unpack_from(order + "QQ", head, 0x20)
        phentsize, phnum, shentsize, shnum = struct.unpack_from(order + "HHHH", head, 0x36)
    else:                                                              # ELFCLASS32
        phoff, shoff = struct.unpack_from(order + "II", head, 0x1C)
        phentsize, phnum, shentsize, shnum = struct.unpack_from(order + "HHHH", head, 0x2A)
    return max(phoff + phentsize * phnum, shoff + shentsize * shnum)


def repair(folder: str, since: float | None = None) -> list[str]:
    """Remove the incomplete compiled modules of `folder` (modified at or after `since`, a time.time(), if given):
    their names. A module whose lock someone holds is being built now and is left alone."""
    removed = []
    try:
        entries = [e for e in os.scandir(folder) if e.name.endswith(".so") and e.is_file(follow_symlinks=False)]
    except OSError:
        return removed
    for entry in entries:
        with contextlib.suppress(OSError):
            if since is not None and entry.stat(follow_symlinks=False).st_mtime < since - 1:
                continue
            if incomplete(entry.path) and _remove_unlocked(folder, entry):
                removed.append(entry.name)
    return sorted(removed)


def _remove_unlocked(folder: str, entry) -> bool:
    """Remove `entry` under its module's lock (Brian's `MODULE.lock`, flock), unless another process holds it."""
    module = entry.name.split(".", 1)[0]
    with nofollow.open_lock(os.path.join(folder, f"{module}.lock")) as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        try:
            if not incomplete(entry.path):
                return False
            os.unlink(entry.path)
            return True
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def broken_import(exc, folder: str) -> bool:
    """The exception chain holds an ImportError about a file in `folder` (the cache's modules)."""
    places = {folder, os.path.realpath(folder)} if folder else set()
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if isinstance(exc, ImportError) and not isinstance(exc, ModuleNotFoundError):
            text = f"{exc.path or ''} {exc}"
            if any(place in text for place in places):
                return True
        exc = exc.__cause__ or exc.__context__
    return False
