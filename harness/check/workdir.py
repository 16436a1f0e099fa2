"""The script's own folder as its working directory, without letting device processes overwrite each other.

Each run gets a scratch copy of the script's folder (regular files; subfolders and files over `BIG` are linked, so
reading data next to the script works) and runs the copy there: `open('params.json')` and
`os.path.dirname(__file__)` find what lies next to the script, and what the script writes stays in the copy, where
it is listed after the run (`written`).
"""
from __future__ import annotations

import os
import shutil

BIG = 20 * 1024 * 1024          # larger files are linked, not copied
MAX_ENTRIES = 2000              # a folder with more entries is linked entry by entry without copies


def prepare(script: str, scratch: str) -> tuple[str, dict]:
    """Copy/link the folder of `script` into `scratch`; (path of the script's copy, {name: mtime} before)."""
    src = os.path.dirname(os.path.abspath(script))
    os.makedirs(scratch, exist_ok=True)
    try:
        entries = list(os.scandir(src))
    except OSError:
        entries = []
    copy = len(entries) <= MAX_ENTRIES
    for e in entries:
        target = os.path.join(scratch, e.name)
        if os.path.lexists(target):
            continue
        try:
            if copy and e.is_file(follow_symlinks=True) and e.stat().st_size <= BIG:
                shutil.copy2(e.path, target)
            else:
                os.symlink(e.path, target)
        except OSError:
            continue
    mine = os.path.join(scratch, os.path.basename(script))
    if not os.path.exists(mine):
        shutil.copy2(script, mine)
    return mine, snapshot(scratch)


def snapshot(folder: str) -> dict:
    out = {}
    for e in os.scandir(folder):
        if e.is_file(follow_symlinks=False):
            out[e.name] = e.stat().st_mtime_ns
    return out


def written(folder: str, before: dict) -> list[str]:
    """Files the script created or changed in its scratch folder (top level)."""
    after = snapshot(folder)
    return sorted(n for n, t in after.items() if before.get(n) != t)


def originals(paths, scratch: str, script: str) -> set:
    """Paths read in the scratch copy, as the files next to the original script they were copied from (files the
    script wrote itself and then read back have no original and are left out)."""
    scratch, src = os.path.realpath(scratch), os.path.realpath(os.path.dirname(os.path.abspath(script)))
    out = set()
    for p in paths:
        rel = os.path.relpath(p, scratch)
        if rel.startswith(".."):
            out.add(p)
            continue
        original = os.path.join(src, rel)
        if os.path.isfile(original):
            out.add(original)
    return out
