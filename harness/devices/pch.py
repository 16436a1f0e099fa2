"""A precompiled header of the C++ standard library for the generated code of C++ standalone builds (GCC only).

Why: parsing the standard library is most of a standalone build's compile time. Measured on a 12-file project
(2 cores, g++ 12): `g++ -fsyntax-only` takes 0.28 of the 0.30 CPU-s of a code object, 0.07-0.12 CPU-s with the
headers precompiled.

Why it changes no byte of the build: only the generated model code (code_objects/*.cpp) and main.cpp get the header,
through lines appended to Brian's makefile (`code_objects/%.o : CXXFLAGS += -include ...`). Each of them includes
`objects.h`, whose closure already holds every one of `HEADERS`, and the C++ standard lets library headers be
included in any order. tests/test_pch.py rebuilds generated projects without the header and requires every
object file and the binary to be byte-identical. The other files (objects.cpp, run.cpp, network.cpp, ...) are
compiled exactly as Brian writes them: for objects.cpp GCC's register allocation does change with the header (seen
in `_write_arrays`), which is why they are left alone. GCC uses the `.gch` only where the compile flags match;
otherwise it reads the header text. Off with BRIAN2_HARNESS_PCH=0.
"""
from __future__ import annotations

import contextlib
import functools
import hashlib
import os
import shlex
import shutil
import subprocess
import tempfile
import threading
from typing import Callable

from brian2_harness import nofollow
from brian2_harness.plumbing.locks import exclusive

OFF_VAR = "BRIAN2_HARNESS_PCH"

# The standard headers in the include closure of Brian's objects.h (not <csignal>/<climits>: main.cpp only)
HEADERS = ("algorithm", "cassert", "chrono", "cmath", "cstddef", "cstdint", "cstdio", "cstdlib", "cstring",
           "ctime", "fstream", "iostream", "iterator", "limits", "map", "random", "set", "string", "tuple",
           "type_traits", "utility", "vector")


def header_text() -> str:
    return "".join(f"#include <{h}>\n" for h in HEADERS)


def compiler() -> str:
    """The compiler Brian's makefile calls: $(CXX), which make defaults to g++."""
    return os.environ.get("CXX") or "g++"


@functools.lru_cache(maxsize=None)
def gcc_identity(cxx: str) -> str | None:
    """`cxx --version` when cxx is GCC (whose .gch format this module writes), else None."""
    argv = shlex.split(cxx)
    if not argv or shutil.which(argv[0]) is None:
        return None
    try:
        out = subprocess.run(argv + ["--version"], capture_output=True, text=True, timeout=30).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    if "clang" in out.lower() or "Free Software Foundation" not in out:
        return None
    return out.strip()


def brian_flags(threads: int) -> list[str]:
    """The flags Brian's makefile compiles every file with, apart from include folders (CXXFLAGS)."""
    from distutils.ccompiler import gen_preprocess_options

    from brian2 import prefs
    from brian2.codegen.cpp_prefs import get_compiler_and_args
    _, args = get_compiler_and_args()
    return (["-Wno-write-strings"] + gen_preprocess_options(list(prefs["codegen.cpp.define_macros"]), [])
            + list(args) + (["-fopenmp"] if threads else []))


def ensure(folder: str, cxx: str, flags: list[str]) -> str | None:
    """The path of the header whose `.gch` (built once per compiler and flags, under a lock) sits beside it."""
    identity = gcc_identity(cxx)
    if identity is None:
        return None
    text = header_text()
    key = hashlib.sha256("\0".join([identity, text, *flags]).encode()).hexdigest()[:16]
    where = os.path.join(folder, "pch", key)
    header, gch = os.path.join(where, "std.h"), os.path.join(where, "std.h.gch")
    os.makedirs(folder, exist_ok=True)
    nofollow.real_dir(os.path.join(folder, "pch"))
    nofollow.real_dir(where)              # a planted symlink is removed, never read or written through
    if os.path.exists(gch) and os.path.exists(header):
        return header
    with exclusive(os.path.join(where, ".lock")):
        if os.path.exists(gch) and os.path.exists(header):
            return header
        if not os.path.exists(header):
            _write(header, text.encode())
        fd, tmp = tempfile.mkstemp(dir=where, prefix=".tmp-", suffix=".gch")
        os.close(fd)
        try:
            r = subprocess.run(shlex.split(cxx) + flags + ["-x", "c++-header", header, "-o", tmp],
                               capture_output=True, text=True, timeout=600)
            if r.returncode != 0:
                return None
            os.replace(tmp, gch)
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
    return header


def _write(path: str, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path), prefix=".tmp-")
    with os.fdopen(fd, "wb") as f:
        f.write(data)
    os.chmod(tmp, 0o644)
    os.replace(tmp, path)


def header(folder: str, threads: int) -> str | None:
    """The precompiled header for this process's Brian preferences (None when off or the compiler is not GCC)."""
    return start(folder, threads)()


def start(folder: str, threads: int) -> Callable[[], str | None]:
    """Begin `header` in a thread, so that a first build of the header (~1 CPU-s) overlaps Brian's code generation;
    the returned function waits for it and gives its result. Flags are read now, from Brian's preferences."""
    if os.environ.get(OFF_VAR, "1").strip().lower() in ("0", "no", "off", "false"):
        return lambda: None
    cxx, flags, box = compiler(), brian_flags(threads), {}

    def build():
        try:
            box["path"] = ensure(folder, cxx, flags)
        except (OSError, subprocess.SubprocessError):   # e.g. a folder that cannot be written: build without it
            box["path"] = None
    thread = threading.Thread(target=build, name="brian2-harness-pch", daemon=True)
    thread.start()

    def wait() -> str | None:
        thread.join()
        return box.get("path")
    return wait


# The objects that get the header: those whose sources include objects.h first thing (its closure holds HEADERS)
TARGETS = ("code_objects/%.o", "main.o")


def makefile_rule(path: str) -> str:
    flag = f"CXXFLAGS += -include {shlex.quote(path)}"
    return ("\n# brian2-harness: precompiled standard headers for the generated code (devices/pch.py)\n"
            + "".join(f"{target} : {flag}\n" for target in TARGETS))
