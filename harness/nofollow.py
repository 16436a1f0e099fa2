"""Cache entries the harness creates are never reached through a symlink someone else planted.

In a cache shared between users (BRIAN2_HARNESS_CACHE), a symlink at a build folder's or a lock's path would make
the harness write into the link's target. Every build folder and lock file is opened here: a symlink (or a file
where a folder belongs) at such a path is removed, never followed; one that cannot be removed is a usage error
naming it. The cache root itself is the user's choice and may be a link. Checked when a folder is taken: a user who
can write the cache could still swap a folder during a run, so a cache shared with people you do not trust should
be a folder only you can write (mode 0700).
"""
from __future__ import annotations

import errno
import os
import stat

from brian2_harness.errors import UsageError


def _remove_planted(path: str, what: str) -> None:
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass
    except OSError as exc:
        raise UsageError(f"cache: '{path}' is {what} the harness did not create and cannot remove "
                         f"({exc.strerror or exc}); remove it or use another cache folder") from None


def real_dir(path: str) -> str:
    """`path` as a real folder (created if missing; a symlink or file there is removed first)."""
    path = os.fspath(path)
    for _ in range(3):
        try:
            st = os.lstat(path)
        except FileNotFoundError:
            st = None
        if st is not None and stat.S_ISDIR(st.st_mode):
            return path
        if st is not None:
            _remove_planted(path, "a symlink" if stat.S_ISLNK(st.st_mode) else "a file")
        os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
        try:
            os.mkdir(path)
        except FileExistsError:
            continue              # created meanwhile (another process, or planted again): look again
        return path
    raise UsageError(f"cache: '{path}' keeps being replaced while the harness creates it; use another cache folder")


def open_lock(path: str):
    """The lock file at `path`, opened for appending without following a symlink (a planted one is removed)."""
    path = os.fspath(path)
    flags = os.O_RDWR | os.O_CREAT | os.O_APPEND | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
    for _ in range(3):
        try:
            return os.fdopen(os.open(path, flags, 0o666), "a+")
        except OSError as exc:
            if exc.errno not in (errno.ELOOP, errno.EMLINK):
                raise
            _remove_planted(path, "a symlink")
    raise UsageError(f"cache: lock '{path}' keeps being replaced by a symlink; use another cache folder")


def is_link(path: str) -> bool:
    return os.path.islink(path)
