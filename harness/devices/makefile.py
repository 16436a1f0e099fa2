"""What the harness changes in the makefile Brian writes for a C++ standalone project, and why.

1. The precompiled standard headers (pch.py): one pattern rule appended, for the generated code only.
2. A makefile whose only change is its list of source files keeps its file time. Brian's makefile makes every
   object depend on `makefile`, so a folder seeded from a sibling of another variant (run/buildcache.py) recompiled
   every file, also those whose source and flags are unchanged (brianlib/spikequeue.cpp, network.cpp, code
   objects that read the same). With every other line equal (compiler, flags, rules), those objects are exactly
   what a fresh compile would give; sources that changed are newer than their objects and recompile as before,
   and the binary is removed so that it is always linked again from the current object list.
3. A folder without any object file gets an empty dependency file. Brian's makefile first runs the compiler over
   every source to list header dependencies (`make.deps`, ~0.4 s before the first compile can start); a folder
   without objects compiles every file anyway, so the list would decide nothing. Any later build in which a source
   or header changed finds `make.deps` older than it and lists the dependencies then, before deciding anything.
4. `make -j N` with N = the cores, instead of Brian's default `make -j` (no limit): a project of a few hundred code
   objects (a packed generated model) otherwise starts a compiler per file at once, hundreds on a 2-core machine,
   with their memory. A user's own `extra_make_args_unix` (anything but Brian's default) is kept.
"""
from __future__ import annotations

import os
from typing import Callable

from brian2_harness.devices import pch

SOURCE_LISTS = ("SRCS =", "H_SRCS =")
BRIAN_DEFAULT_MAKE_ARGS = ["-j"]


def bounded_make_args(prefs, jobs: int) -> list[str] | None:
    """Set `make -j JOBS` in Brian's prefs unless the user chose other make arguments; the arguments set, or None
    when the user's were kept."""
    current = list(prefs.devices.cpp_standalone.extra_make_args_unix)
    if current != BRIAN_DEFAULT_MAKE_ARGS:
        return None
    args = ["-j", str(max(1, int(jobs)))]
    prefs.devices.cpp_standalone.extra_make_args_unix = args
    return args


def only_sources_differ(old: str, new: str) -> bool:
    """True when the two makefiles differ, but only in their SRCS / H_SRCS lines."""
    def rest(text):
        return [line for line in text.splitlines() if not line.startswith(SOURCE_LISTS)]
    return old != new and rest(old) == rest(new)


def write_makefile(project_dir: str, write, contents: str) -> None:
    """Write the makefile through Brian's `write`, keeping the previous file time when only the sources changed."""
    path = os.path.join(project_dir, "makefile")
    try:
        with open(path) as f:
            old = f.read()
        before = os.stat(path)
    except OSError:
        old, before = None, None
    write("makefile", contents)
    deps = os.path.join(project_dir, "make.deps")
    if not os.path.exists(deps) and not _has_objects(project_dir):
        with open(deps, "w") as f:
            f.write("# brian2-harness: no object existed, every file compiles in this build (devices/makefile.py)\n")
    if old is not None and only_sources_differ(old, contents):
        os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
        try:
            os.unlink(os.path.join(project_dir, "main"))
        except FileNotFoundError:
            pass


def _has_objects(project_dir: str) -> bool:
    return any(name.endswith(".o") for _, _, files in os.walk(project_dir) for name in files)


def attach(device, header: str | Callable[[], str | None] | None) -> None:
    """Make Brian's standalone `device` write its makefiles through `write_makefile`, with the header's rule
    (`header`: its path, or a function that waits for it: pch.start)."""
    device.__dict__.pop("generate_makefile", None)
    plain = getattr(type(device), "generate_makefile", None)
    if plain is None:
        return

    def generate_makefile(writer, *args, **kwargs):
        path = header() if callable(header) else header
        write = writer.write

        def write_adjusted(filename, contents):
            if filename != "makefile":
                return write(filename, contents)
            write_makefile(writer.project_dir, write, contents + (pch.makefile_rule(path) if path else ""))
        writer.write = write_adjusted
        try:
            return plain(device, writer, *args, **kwargs)
        finally:
            del writer.write
    device.generate_makefile = generate_makefile
