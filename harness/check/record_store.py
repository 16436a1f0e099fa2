"""Where a script's baseline lives under `--record DIR`, and how it is replaced without ever leaving half of one.

Key: the script's stem (`DIR/model/`), the layout of earlier versions, which stay readable. Two scripts with the
same stem get `DIR/<stem>-<8 hex>/` (a digest of the script's path relative to the working directory): when both
are recorded in one command, or when `DIR/<stem>` already holds another script's baseline. Each record names its
script (`source`), so `--against` finds the right one; a recording made from another working directory is still
found when only one baseline of that stem exists.

Replacing: a script's devices are written into a new hidden folder `DIR/.new-<key>-*` next to the baseline, then
swapped in: in one step where the system can (Linux renameat2 RENAME_EXCHANGE), else with two renames (the old one
away, the new one in; a stop between them puts the old one back); then the old one is removed. A stop before the
swap leaves the previous baseline, never half a baseline, and the hidden folder is removed on any exception.
A baseline folder holding a file the harness did not write, or reached through a symlink, is refused before
anything is written (one line, the path); nothing else is ever deleted.
"""
from __future__ import annotations

import contextlib
import ctypes
import hashlib
import os
import re
import shutil
import stat
import tempfile
from pathlib import Path

from brian2_harness.errors import UsageError

RECORD_FILE = "record.json"
STATISTICS_NPZ = "statistics.npz"     # a seed's array statistics (records.py)
SEED_FILES = ("observables.npz", "meta.json", "statistics.json", STATISTICS_NPZ)


def source(script: str) -> str:
    """The script as a record names it: its path relative to the working directory ('/'-separated)."""
    return Path(os.path.relpath(os.path.abspath(script))).as_posix()


def hashed_key(script: str) -> str:
    return f"{Path(script).stem}-{hashlib.sha256(source(script).encode()).hexdigest()[:8]}"


def keys_of(root, stem: str) -> list[str]:
    """Keys under `root` that belong to scripts of this stem (`stem` and `stem-<8 hex>`)."""
    pattern = re.compile(re.escape(stem) + r"(-[0-9a-f]{8})?")
    try:
        names = sorted(os.listdir(root))
    except OSError:
        return []
    return [n for n in names if pattern.fullmatch(n)]


def _is_dir(path: Path) -> bool:
    try:
        return stat.S_ISDIR(os.lstat(path).st_mode)
    except FileNotFoundError:
        return False


def _foreign(folder: Path) -> str | None:
    """The first entry under a baseline folder `DIR/<key>` that the harness did not write (None: all ours)."""
    for dev in sorted(folder.iterdir()):
        if dev.is_symlink():
            return f"{dev} is a symlink"
        if not _is_dir(dev):
            return f"{dev} was not written by brian2-harness"
        for entry in sorted(dev.iterdir()):
            if entry.name == RECORD_FILE and not entry.is_symlink() and entry.is_file():
                continue
            if not (re.fullmatch(r"seed-\d+", entry.name) and _is_dir(entry)):
                return f"{entry} {'is a symlink' if entry.is_symlink() else 'was not written by brian2-harness'}"
            for f in sorted(entry.iterdir()):
                if f.name not in SEED_FILES or f.is_symlink() or not f.is_file():
                    return f"{f} {'is a symlink' if f.is_symlink() else 'was not written by brian2-harness'}"
    return None


def check_target(root, key: str, option: str = "--record") -> None:
    """`DIR/<key>` can be replaced: absent, or a real folder holding only what the harness writes."""
    target = Path(root) / key
    if target.is_symlink():
        raise UsageError(f"{option} {root}: {target} is a symlink; baselines are never written through links "
                         f"(remove it or record into another folder)")
    if not target.exists():
        return
    if not _is_dir(target):
        raise UsageError(f"{option} {root}: {target} is not a folder (remove it or record into another folder)")
    problem = _foreign(target)
    if problem:
        raise UsageError(f"{option} {root}: {problem}; the baseline there is not replaced, so nothing of yours is "
                         f"deleted (move it away or record into another folder)")


def _remove(path: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        shutil.rmtree(path)


def exchange(a: Path, b: Path) -> bool:
    """Swap two folders in one step (Linux renameat2 RENAME_EXCHANGE); False where the system cannot."""
    try:
        renameat2 = ctypes.CDLL(None, use_errno=True).renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd, rename_exchange = -100, 2
    return renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) == 0


def replace(root, key: str, write, option: str = "--record", sub: str | None = None) -> Path:
    """Write a baseline with `write(folder)` into a new folder and swap it in as `DIR/<key>` (or, with `sub`, as the
    one device folder `DIR/<key>/<sub>`, the others untouched). Returns the folder."""
    root = Path(root)
    check_target(root, key, option)
    root.mkdir(parents=True, exist_ok=True)
    target = root / key / sub if sub else root / key
    target.parent.mkdir(parents=True, exist_ok=True)
    if target.is_symlink():
        raise UsageError(f"{option} {root}: {target} is a symlink; baselines are never written through links")
    stage = Path(tempfile.mkdtemp(prefix=f".new-{key}-", dir=root))
    old = None
    try:
        write(stage)
        if target.exists() and exchange(stage, target):
            return target                  # swapped in one step; the previous baseline is in `stage`, removed below
        if target.exists():
            old = Path(tempfile.mkdtemp(prefix=f".old-{key}-", dir=root)) / "x"
            os.rename(target, old)
        os.rename(stage, target)
    finally:
        if old is not None and old.exists() and not os.path.lexists(target):
            os.rename(old, target)         # stopped between the renames: the previous baseline comes back
        _remove(stage)
        if old is not None:
            _remove(old.parent)
    return target
