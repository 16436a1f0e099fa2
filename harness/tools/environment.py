"""What the results were produced with: versions of Python, numpy, Brian2 and the toolchain."""
from __future__ import annotations

import platform

from brian2_harness.versions import CYTHON, NUMPY, installed_version, tool_version


def environment() -> dict:
    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        NUMPY: installed_version(NUMPY),
        "brian2": installed_version("brian2"),
        "brian2cuda": installed_version("brian2cuda"),
        CYTHON: installed_version(CYTHON),
        "hypothesis": installed_version("hypothesis"),
        "brian2_harness": installed_version("brian2-harness"),
        "gcc": tool_version(["g++", "--version"]),
        "nvcc": (tool_version(["nvcc", "--version"])
                 and tool_version(["sh", "-c", "nvcc --version | tail -2 | head -1"])),
    }
