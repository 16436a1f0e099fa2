"""Where a fuzz pack's time goes on one device: run a (pack) script under cProfile with empty caches and print the
time spent creating code objects (Brian's code generation), compiling them (Cython's cythonize and the C++ compiler
for cython; make for cpp_standalone) and in total. docs/fuzzing.md's "Where the time goes" table was measured with

    nice -n 10 python ci/fuzz_profile.py numpy|cython|cpp_standalone OUT/work/pack1.py /tmp/prof/DEVICE

(one device at a time; OUT a fuzz campaign's folder). Runs without the harness: plain Brian2 with a fresh cache
folder, `make -j2` for cpp_standalone (set_device with build_on_run=False, then device.build).
"""
from __future__ import annotations

import cProfile
import os
import pstats
import sys
import time

WANTED = ("device.py:code_object", "codeobject.py:create_runner_codeobj", "extension_manager.py:create_extension",
          "Dependencies.py:cythonize", "build_ext.py:build_extension", "device.py:build", "device.py:compile_source",
          "network.py:before_run", "network.py:run")


def main(target: str, script: str, outdir: str) -> None:
    os.makedirs(outdir, exist_ok=True)
    t = time.perf_counter()
    from brian2 import device, prefs, set_device
    imported = time.perf_counter() - t
    prefs.codegen.runtime.cython.cache_dir = os.path.join(outdir, "cython")
    if target == "cpp_standalone":
        set_device("cpp_standalone", directory=os.path.join(outdir, "cpp"), build_on_run=False)
        prefs.devices.cpp_standalone.extra_make_args_unix = ["-j", "2"]
    else:
        prefs.codegen.target = target
    with open(script) as f:
        code = compile(f.read(), script, "exec")
    namespace = {"__name__": "__main__"}          # kept alive: the standalone build reads its objects
    profile = cProfile.Profile()
    t = time.perf_counter()
    profile.enable()
    exec(code, namespace)
    if target == "cpp_standalone":
        device.build(directory=os.path.join(outdir, "cpp"))
    profile.disable()
    total = time.perf_counter() - t
    cumulative: dict[str, float] = {}
    for (path, _, name), (_, _, _, ct, _) in pstats.Stats(profile).stats.items():
        key = f"{os.path.basename(path)}:{name}"
        cumulative[key] = max(ct, cumulative.get(key, 0.0))
    print(f"{target}: import {imported:.1f} s, script {total:.1f} s")
    for key in WANTED:
        if key in cumulative:
            print(f"  {key:45s} {cumulative[key]:7.1f} s")


if __name__ == "__main__":
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    main(*sys.argv[1:4])
