"""What the results were produced with: versions of Python, numpy, Brian2 and the toolchain."""
from __future__ import annotations

import platform
import shutil
import subprocess
from brian2_harness.versions import installed_version


def _tool(cmd: list[str]) -> str | None:
    if shutil.which(cmd[0]) is None:
        return None
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    return out.splitlines()[0] if out else None


def environment() -> dict:
    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "numpy": installed_version("numpy"),
        "brian2": installed_version("brian2"),
        "brian2cuda": installed_version("brian2cuda"),
        "cython": installed_version("cython"),
        "hypothesis": installed_version("hypothesis"),
        "brian2_harness": installed_version("brian2-harness"),
        "gcc": _tool(["g++", "--version"]),
        "nvcc": (_tool(["nvcc", "--version"]) and _tool(["sh", "-c", "nvcc --version | tail -2 | head -1"])),
    }
