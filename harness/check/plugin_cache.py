"""The pytest plugin's cache of device runs: a result is reused only while everything it depends on is unchanged.

Key: the script's path and content, the device, seeds and options, and the environment (Brian2, numpy, Python,
Cython, the C++ compiler, brian2-harness and its own source). Stored with the result: the content digest of every
module the script imported from its folder (any depth) and every file it opened for reading there, the names in
every folder there that it listed (glob, os.listdir: a new matching file reruns), the value of every environment
variable it read through os.environ/os.getenv, as the device process recorded them (inputs.py), and Brian's
preference files (next to the script, in the working directory, ~/.brian/user_preferences; present or absent).
A changed, removed or unrecorded input reruns the script: when in doubt, rerun. Not covered: what C code reads
(getenv in an extension or a standalone binary), files read outside the script's folder, the network.
"""
from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import os
import pickle
from pathlib import Path

from brian2_harness.atomic import atomic_write_bytes
from brian2_harness.plumbing.locks import exclusive
from brian2_harness.versions import core_versions, cxx_version, installed_version

from .script import OK, SKIP, run_device

FORMAT = "brian2-harness-plugin-cache/3"


def _key_version(dist: str) -> str:
    """A version as the cache key spells it ("none": not installed)."""
    return installed_version(dist) or "none"


@functools.cache
def _harness_source() -> str:
    """Digest of brian2-harness's own Python files (an editable install changes without a version bump)."""
    digest = hashlib.sha256()
    root = Path(__file__).resolve().parent.parent
    for path in sorted(root.rglob("*.py")):
        digest.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:16]


def environment_key() -> dict:
    return {**{k: v or "none" for k, v in core_versions().items()}, "compiler": cxx_version() or "none",
            "harness": _key_version("brian2-harness"), "harness_source": _harness_source(),
            "environ": {k: os.environ.get(k) for k in ("CXX", "CC", "CFLAGS")}}


def file_digest(path: str) -> str | None:
    try:
        with open(path, "rb") as f:
            return hashlib.sha256(f.read()).hexdigest()
    except OSError:
        return None


def preference_files(script) -> list[str]:
    """Brian's preference files that can change a run of `script`: `brian_preferences` next to it (its working
    directory in the device process), in this process's working directory, and ~/.brian/user_preferences."""
    return sorted({os.path.join(os.path.dirname(os.path.abspath(script)), "brian_preferences"),
                   os.path.abspath("brian_preferences"),
                   os.path.join(os.path.expanduser("~"), ".brian", "user_preferences")})


def state(entry: str) -> str | None:
    """The current digest of one input: `file:` (None when unreadable: rerun), `optional:` (a file that may be
    absent), `listing:` (the names in a folder), `env:` (an environment variable's value)."""
    kind, _, name = entry.partition(":")
    if kind == "file":
        return file_digest(name)
    if kind == "optional":
        return file_digest(name) if os.path.lexists(name) else "absent"
    if kind == "listing":
        try:
            names = sorted(os.listdir(name))
        except OSError:
            return None
        return hashlib.sha256("\0".join(names).encode()).hexdigest()
    if kind == "env":
        value = os.environ.get(name)
        return "unset" if value is None else hashlib.sha256(value.encode()).hexdigest()
    return None


def _inputs(result, script) -> dict | None:
    """entry -> digest of every recorded input of `result`'s runs (files read, folders listed, environment variables
    read) and of Brian's preference files; None when a run recorded none (cannot reuse)."""
    entries = {f"optional:{p}" for p in preference_files(script)}
    for run in result.runs:
        if "inputs" not in run.meta or "reads" not in run.meta:
            return None
        reads = run.meta["reads"] or {}
        entries |= {f"file:{p}" for p in run.meta["inputs"]} | {f"listing:{p}" for p in reads.get("listed", ())} \
            | {f"env:{n}" for n in reads.get("environ", ())}
    return {e: state(e) for e in sorted(entries)}


def _unchanged(inputs: dict) -> bool:
    return all(digest is not None and state(entry) == digest for entry, digest in inputs.items())


def cache_key(script, device, seeds, options: dict) -> str:
    blob = json.dumps(dict(format=FORMAT, script=os.path.abspath(script), content=file_digest(script),
                           device=device, seeds=list(seeds), env=environment_key(),
                           **{k: v for k, v in options.items() if k != "cache_dir"}), sort_keys=True, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()[:24]


def _load(path: Path):
    with contextlib.suppress(Exception), open(path, "rb") as f:
        entry = pickle.load(f)
        if isinstance(entry, dict) and entry.get("format") == FORMAT and _unchanged(entry["inputs"]):
            return entry["result"]
    return None


def cached_runner(folder: Path, run=run_device):
    """run_device with the results kept on disk (one lock per key: xdist workers wait for each other)."""
    def runner(script, device, seeds, **kwargs):
        key = cache_key(script, device, seeds, kwargs)
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{key}.pkl"
        with exclusive(str(folder / f"{key}.lock")):
            if path.exists():
                hit = _load(path)
                if hit is not None:
                    return hit
            result = run(script, device, seeds, **kwargs)
            inputs = _inputs(result, script)
            # a build-only result is not kept: whether a GPU is there is not part of the key (the build folder
            # stays warm, so asking again costs little)
            if result.status in (OK, SKIP) and inputs is not None:
                atomic_write_bytes(str(path), pickle.dumps(dict(format=FORMAT, result=result, inputs=inputs)))
            return result
    return runner
