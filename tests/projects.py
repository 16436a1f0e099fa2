"""Helpers for tests that compare the files of C++ standalone projects (test_pch.py, test_makefile.py)."""
import fcntl
import os
import re
import shutil


def outputs(folder):
    """The objects the makefile links (a folder seeded from a sibling project may hold others) and the binary."""
    with open(os.path.join(folder, "makefile")) as f:
        srcs = re.search(r"^SRCS = (.*)$", f.read(), re.M).group(1).split()
    return sorted(s.rsplit(".", 1)[0] + ".o" for s in srcs) + ["main"]


def differing(a, b):
    """Output files of project `a` that are not byte-identical in project `b`."""
    def read(folder, name):
        with open(os.path.join(folder, name), "rb") as f:
            return f.read()
    return [name for name in outputs(a) if read(a, name) != read(b, name)]


def snapshot(folder, dest):
    """Copy a cached build folder under its lock (another test may be using it); file times kept."""
    with open(folder + ".lock", "a+") as lock:
        fcntl.flock(lock, fcntl.LOCK_SH)
        shutil.copytree(folder, dest, symlinks=True, ignore=shutil.ignore_patterns("results"))
    return dest
