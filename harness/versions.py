"""Provenance: installed versions of Python distributions and of the toolchain, for environment records, cache keys
and corpus provenance. One place, so a cache key and an environment record can never read a version differently."""
from __future__ import annotations

import functools
import importlib.metadata
import os
import platform
import shutil
import subprocess

# The libraries numpy and Cython as environment records, cache keys and version lookups spell them: the Python
# packages, not the devices of the same names (tests/test_layers.py lets no module outside devices/ but this one
# spell those words, so that a device name written as a string is always a device).
NUMPY, CYTHON = "numpy", "cython"
# The components whose versions can change a script's results, in the order records, cache keys and worker labels
# list them.
CORE = ("brian2", NUMPY, "python", CYTHON)


def installed_version(dist: str) -> str | None:
    """The installed version of distribution `dist` (e.g. "brian2"), or None when it is not installed."""
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return None


def core_versions() -> dict:
    """The versions of CORE here (None: not installed), in CORE's order."""
    return {k: platform.python_version() if k == "python" else installed_version(k) for k in CORE}


def tool_version(cmd: list[str], timeout: float = 30) -> str | None:
    """The first line `cmd` (e.g. ["g++", "--version"]) prints, or None when the tool is missing or fails."""
    if not cmd or shutil.which(cmd[0]) is None:
        return None
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    return out.splitlines()[0] if out else None


def cxx_path() -> str | None:
    """The C++ compiler Brian's builds call ($CXX, else g++, c++, clang++), as a path; None when there is none."""
    return shutil.which(os.environ.get("CXX", "g++")) or shutil.which("c++") or shutil.which("clang++")


@functools.cache
def cxx_version() -> str | None:
    """'PATH: first line of --version' for the C++ compiler; None when there is none."""
    cxx = cxx_path()
    if cxx is None:
        return None
    return f"{cxx}: {tool_version([cxx, '--version']) or '(version unknown)'}"
