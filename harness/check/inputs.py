"""What a script's result depends on beyond its own text, recorded while it runs: every module imported from its
folder (any depth) and every file it opened for reading there. The pytest plugin keys its cache on their content,
so an edited helper module or data file reruns the script instead of passing on a stale result."""
from __future__ import annotations

import os
import sys

_READS: dict = {"active": False}


def _under(path, folder: str, exclude=()) -> str | None:
    """The real path of `path` if it is a regular file under `folder` (not a bytecode cache, not under one of the
    `exclude` folders: the run's own output and build folders), else None."""
    try:
        real = os.path.realpath(os.fsdecode(path))
    except (TypeError, ValueError):
        return None
    if not real.startswith(folder + os.sep) or f"{os.sep}__pycache__{os.sep}" in real:
        return None
    if any(real.startswith(x + os.sep) for x in exclude):
        return None
    return real if os.path.isfile(real) else None


_WATCHED: list = []        # (folder, excluded folders, the set that fills up) of the runs watched now


def _opened(event, args) -> None:
    """Audit hook (installed once per process): a file opened for reading under a watched folder."""
    if event != "open" or not _WATCHED or not args or isinstance(args[0], int):
        return
    flags = args[2] if len(args) > 2 and isinstance(args[2], int) else os.O_RDONLY
    if flags & os.O_ACCMODE == os.O_WRONLY:
        return
    for folder, exclude, found in list(_WATCHED):
        try:
            real = _under(args[0], folder, exclude)
        except Exception:          # an audit hook must never break the script
            continue
        if real:
            found.add(real)


def watch(folder: str, exclude=()) -> set:
    """Record, from now on in this process (until `unwatch`), files under `folder` opened for reading (one audit
    hook per process: it cannot be removed). Returns the set that fills up."""
    if not _READS.get("hooked"):
        sys.addaudithook(_opened)
        _READS["hooked"] = True
    found: set = set()
    _WATCHED.append((os.path.realpath(folder), tuple(os.path.realpath(x) for x in exclude), found))
    return found


def unwatch() -> None:
    """Stop every `watch` (a later seed run in the same process watches its own folders, warm.py)."""
    _WATCHED.clear()


_REAL: dict[str, str] = {}       # a module file's path -> its real path (module files do not move during a run)


def _real(path: str) -> str:
    real = _REAL.get(path)
    if real is None:
        real = _REAL[path] = os.path.realpath(path)
    return real


def prime() -> None:
    """The real paths of the modules loaded now (the process server, before it forks: its children look up only
    what they import themselves; `imported_from` runs at the end of every run, 25 ms a call for 1,500 modules)."""
    for module in list(sys.modules.values()):
        path = getattr(module, "__file__", None)
        if isinstance(path, str):
            _real(path)


def imported_from(folder: str) -> set:
    """Files of the modules in `sys.modules` that live under `folder`."""
    folder = os.path.realpath(folder)
    out = set()
    for module in list(sys.modules.values()):
        path = getattr(module, "__file__", None)
        if not isinstance(path, str) or not _real(path).startswith(folder + os.sep):
            continue
        real = _under(path, folder)
        if real:
            out.add(real)
    return out


def _listed(event, args) -> None:
    """Audit hook (installed once per process): a folder listed under the watched folder or its copy."""
    if not _READS["active"] or event not in ("os.listdir", "os.scandir") or isinstance(args[0], int):
        return
    try:
        if sys._getframe(1).f_code.co_filename.startswith("<frozen importlib"):
            return                 # the import system caching a sys.path folder: imports are recorded as files
        folder, copy = _READS["folder"], _READS["copy"]
        real = os.path.realpath(os.fsdecode(args[0]) if args[0] is not None else ".")
        if real == copy or real.startswith(copy + os.sep):
            real = os.path.normpath(os.path.join(folder, os.path.relpath(real, copy)))
        if (real == folder or real.startswith(folder + os.sep)) and os.path.isdir(real):
            _READS["listed"].add(real)
    except Exception:              # an audit hook must never break the script
        return


def _getitem(self, key):
    if _READS["active"]:
        try:
            _READS["environ"].add(os.fsdecode(key))
        except Exception:          # never break the script
            pass
    return _READS["original"](self, key)


def watch_reads(folder: str, copy: str) -> None:
    """Record, from now on until `stop_reads`, the folders under `folder` (or under `copy`, its scratch copy: named
    as the original) that the script lists (os.listdir, os.scandir: also glob, pathlib's glob, os.walk), and the
    names of the environment variables it reads through `os.environ` / `os.getenv` (item access, get, `in`,
    iteration). Not seen: listings by the import system (the modules imported are recorded as files instead),
    variables read by C code (getenv in an extension or the compiled standalone binary) or
    through `os.environ.copy()`/`os.environ._data`, and listings by C code."""
    if "original" not in _READS:
        _READS["original"] = os.environ.__class__.__getitem__
        sys.addaudithook(_listed)
    _READS.update(folder=os.path.realpath(folder), copy=os.path.realpath(copy), listed=set(), environ=set(),
                  active=True)
    os.environ.__class__.__getitem__ = _getitem


def stop_reads() -> dict:
    """What `watch_reads` recorded ({"listed": [...], "environ": [...]}); recording stops (the harness's own
    listings and reads after the script are not the script's)."""
    if not _READS["active"]:
        return {}
    _READS["active"] = False
    os.environ.__class__.__getitem__ = _READS["original"]
    return {"listed": sorted(_READS["listed"]), "environ": sorted(_READS["environ"])}
