"""A cache of standalone build folders, so that a warm rerun compiles nothing.

The folder for a cell is keyed by what determines the generated code (variant and the source of its
module, device, dtype, clocks, padded sizes, library versions). Correctness never depends on the key:
Brian rewrites only files whose content changed and make rebuilds only what changed, so a wrong hit costs
a compile, never a wrong result. Values that differ between runs (connectivity, weights, B) live in
static-array files that are read at run time. One process at a time uses a folder (flock, safe under
pytest-xdist and concurrent runs); a folder without the completion marker is discarded.

A new folder is seeded with a copy of the newest complete folder of the same `family` (device, dtype, dt and
library versions: another variant, schedule or size), file times kept: Brian rewrites the sources that differ and
make recompiles only those (main.cpp and a few code objects instead of the whole project; measured: a second
schedule of one variant builds in ~1 s instead of ~5 s).
"""
from __future__ import annotations

import contextlib
import fcntl
import hashlib
import inspect
import json
import os
import platform
import shutil

from brian2_harness import nofollow
from brian2_harness.plumbing.locks import exclusive
from brian2_harness.versions import installed_version

MARKER = ".harness-complete"
FAMILY = ".harness-family"


def source_digest(fn) -> str:
    """Hash of the file that defines a build function (editing a variant invalidates its builds)."""
    try:
        with open(inspect.getsourcefile(fn), "rb") as f:
            return hashlib.sha256(f.read()).hexdigest()[:16]
    except (TypeError, OSError):
        return "unknown"


def build_key(**parts) -> str:
    parts = dict(parts, brian2=installed_version("brian2"), brian2cuda=installed_version("brian2cuda"),
                 python=platform.python_version(), machine=platform.machine())
    blob = json.dumps(parts, sort_keys=True, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()[:20]


def _seed(root: str, family: str, folder: str) -> str | None:
    """Copy the newest complete folder of `family` into `folder` (skipping folders in use); its path or None."""
    candidates = []
    for name in os.listdir(root):
        path = os.path.join(root, name)
        if nofollow.is_link(path):          # never copied from a place a planted link points to
            continue
        try:
            with open(os.path.join(path, FAMILY)) as f:
                if f.read().strip() == family and os.path.exists(os.path.join(path, MARKER)):
                    candidates.append((os.path.getmtime(os.path.join(path, MARKER)), path))
        except OSError:
            continue
    for _, path in sorted(candidates, reverse=True):
        try:
            with nofollow.open_lock(path + ".lock") as lock:
                fcntl.flock(lock, fcntl.LOCK_SH | fcntl.LOCK_NB)     # in use by another job: try the next one
                try:
                    shutil.copytree(path, folder, symlinks=True,
                                    ignore=shutil.ignore_patterns(MARKER, FAMILY, "results"))
                finally:
                    fcntl.flock(lock, fcntl.LOCK_UN)
            return path
        except (BlockingIOError, OSError, shutil.Error):
            shutil.rmtree(folder, ignore_errors=True)
    return None


@contextlib.contextmanager
def cached_build_dir(cache_dir: str, label: str, key: str, family: str | None = None):
    """Yield (folder, was_warm) with an exclusive lock; mark complete when the body succeeds."""
    os.makedirs(cache_dir, exist_ok=True)
    root = nofollow.real_dir(os.path.join(cache_dir, "standalone"))
    folder = os.path.join(root, f"{label}-{key}")
    with exclusive(folder + ".lock"):
        if nofollow.is_link(folder):                     # planted: removed, never followed (nofollow.py)
            nofollow.real_dir(folder)
        warm = os.path.exists(os.path.join(folder, MARKER))
        if os.path.isdir(folder) and not warm:
            shutil.rmtree(folder, ignore_errors=True)   # left by a run that died mid-way
        if not warm and family:
            _seed(root, family, folder)
        with contextlib.suppress(FileNotFoundError):
            os.unlink(os.path.join(folder, MARKER))
        yield folder, warm
        if family:
            with open(os.path.join(folder, FAMILY), "w") as f:
                f.write(family + "\n")
        with open(os.path.join(folder, MARKER), "w") as f:
            f.write("ok\n")


def binary_mtime(folder: str, name: str = "main") -> float | None:
    try:
        return os.path.getmtime(os.path.join(folder, name))
    except OSError:
        return None
