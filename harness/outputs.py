"""Where a command will write, checked before it does any work.

A results file that cannot be written must not cost a whole run, and an output path that names one of the
command's own inputs (a baseline, a corpus, a script) must never replace it. `validate_outputs` raises one
`UsageError` naming the option and the problem; the writes themselves stay atomic (atomic.py).
"""
from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass

from brian2_harness.errors import UsageError

FILE, FOLDER = "file", "folder"


@dataclass(frozen=True)
class Output:
    option: str                 # how the user named it: "--json", "--out"
    path: str
    kind: str = FILE            # FILE or FOLDER
    names: tuple = ()           # FOLDER: the files the command writes inside it

    def files(self) -> list[str]:
        if self.kind == FILE:
            return [self.path]
        return [os.path.join(self.path, n) for n in self.names]


def _identity(path: str):
    """(device, inode) of an existing file, following links; None if there is none."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_dev, st.st_ino


def _same_file(a: str, b: str) -> bool:
    if os.path.realpath(a) == os.path.realpath(b):
        return True
    ia = _identity(a)
    return ia is not None and ia == _identity(b)     # hard links, bind mounts


def _existing_ancestor(path: str) -> str:
    folder = os.path.dirname(os.path.abspath(path))
    while not os.path.lexists(folder):
        folder = os.path.dirname(folder)
    return folder


def _check_writable(option: str, path: str, folder: str) -> None:
    """`folder` (an existing ancestor of `path`) is a folder we can create files in (a real probe: root's
    os.access says yes to read-only mounts)."""
    if not os.path.isdir(folder):
        raise UsageError(f"{option} '{path}': '{folder}' is not a folder")
    try:
        fd, probe = tempfile.mkstemp(dir=folder, prefix=".b2h-write-probe-")
    except OSError as exc:
        raise UsageError(f"{option} '{path}': cannot write into '{folder}' ({exc.strerror or exc})") from None
    os.close(fd)
    os.unlink(probe)


def _check_one(out: Output) -> None:
    path = out.path
    if out.kind == FILE:
        if os.path.isdir(path):
            raise UsageError(f"{out.option} '{path}' is a folder; name a file")
        if os.path.lexists(path) and not os.path.isfile(path):
            raise UsageError(f"{out.option} '{path}' exists and is not a regular file")
        _check_writable(out.option, path, _existing_ancestor(path))
        return
    if os.path.lexists(path) and not os.path.isdir(path):
        what = f"its {', '.join(out.names)}" if out.names else "what it writes"
        raise UsageError(f"{out.option} '{path}' is an existing file; name a folder ({what} goes into it)")
    for name in out.files():
        if os.path.isdir(name):
            raise UsageError(f"{out.option} '{path}': '{name}' is a folder where a file is written")
    _check_writable(out.option, path, path if os.path.isdir(path) else _existing_ancestor(path))


def validate_outputs(outputs, inputs=()) -> None:
    """Refuse, before any work: an output that cannot be written, a folder where a file is meant (or the other
    way round), an output that is one of `inputs` ((option, path) pairs; same resolved path or same inode), and
    two outputs that are one file."""
    outputs = [o for o in outputs if o.path]
    for out in outputs:
        _check_one(out)
        for target in out.files():
            for option, src in inputs:
                if src and _same_file(target, src):
                    raise UsageError(f"{out.option} '{out.path}' would overwrite the input {option} '{src}'; "
                                     f"choose another output path")
    seen: dict[str, Output] = {}
    for out in outputs:
        for target in out.files():
            key = os.path.realpath(target)
            if key in seen:
                raise UsageError(f"{out.option} '{out.path}' and {seen[key].option} '{seen[key].path}' name the same "
                                 f"file; give each output its own path")
            seen[key] = out
