"""What a device is (`Device`), what its probe says (`Probe`: run, build only, unavailable) and toolchain checks."""
from __future__ import annotations

import functools
import os
import shutil
import subprocess
import sysconfig
import tempfile
from dataclasses import dataclass

RUN, BUILD, UNAVAILABLE = "run", "build", "unavailable"


@dataclass(frozen=True)
class Probe:
    mode: str      # run | build | unavailable
    reason: str


def _compiler(kind: str) -> str | None:
    var = "CXX" if kind == "c++" else "CC"
    configured = (os.environ.get(var) or sysconfig.get_config_var(var) or "").split()
    candidates = configured[:1] + (["g++", "c++", "clang++"] if kind == "c++" else ["gcc", "cc", "clang"])
    for c in candidates:
        path = shutil.which(c)
        if path:
            return path
    return None


@functools.lru_cache(maxsize=None)
def _openmp_works() -> str | None:
    """None if a C++ compiler builds and runs an OpenMP program; otherwise the reason."""
    cxx = _compiler("c++")
    if cxx is None:
        return "no C++ compiler found (install g++)"
    src = "#include <omp.h>\nint main(){int n=0;\n#pragma omp parallel reduction(+:n)\nn+=1;\nreturn n>0?0:1;}\n"
    with tempfile.TemporaryDirectory() as d:
        with open(os.path.join(d, "t.cpp"), "w") as f:
            f.write(src)
        r = subprocess.run([cxx, "-fopenmp", "t.cpp", "-o", "t"], cwd=d, capture_output=True, text=True)
        if r.returncode != 0:
            return f"{cxx} -fopenmp failed: {r.stderr.strip()[:200]}"
    return None


class Device:
    name: str = ""
    description: str = ""
    standalone = False
    brian_name = "runtime"     # the device as Brian's set_device() knows it
    threads = 0                # OpenMP threads of the generated code (0: none)
    # How generated code computes, which selects the bound (families/bounds.ARITHMETIC): "ieee" evaluates
    # expression by expression (numpy); "ieee_contract" is compiled with Brian's -ffast-math flags and may fuse
    # the Euler step into one fused multiply-add.
    arithmetic = "ieee"

    # What the check sandbox (check/) asks the device, so that check/ names no device:
    can_perturb = False        # state can be nudged before a run (check/floor.py's noise floor): runtime devices
    records_stream = True      # the random numbers its generated code draws can be recorded (check/streams.py)
    random_stream = ""         # how they are recorded: "numpy_random", "cython_random", "cpp_generators"
    cython_compiled = False    # each code object is compiled by Cython (its `_clip` is a fused-type function)
    own_code_object = False    # its Brian device class has its own code_object (random sources seen there too)
    precompiled_headers = False    # its standalone Makefile gets the harness's precompiled headers (devices/pch.py)
    probe_in_build_key = False     # its probe's reason (the toolchain) is part of its standalone build key
    # check's process servers (check/servers.py): devices of one group share a server that has imported Brian2 once
    # and warmed every member's code templates; a device whose import adds to Brian (brian2cuda registers a device
    # and preferences) has a group of its own, so that no other device's runs see that import
    server_group = "brian2"
    # Brian's functions in its generated code are their C++ implementations (`_clip`, `_brian_floordiv`, ... of
    # Brian's C++ support code, which Cython code objects include too): fuzz/triage.py's rules for bugs there ask this
    cpp_functions = False

    # What the rest of the harness asks the device, so that no module outside devices/ names one:
    gpu = False                # it runs on a GPU: `bench` sizes its batches for one (tools/cuda_bench.py)
    serial_twin: str | None = None    # the serial CPU device its runs are timed against (run/slots.py, bench)
    # what `doctor` checks for it (tools/doctor.py's check names): to generate and build its code, and to run it
    needs: tuple[str, ...] = ("python", "brian2", "numpy")
    run_needs: tuple[str, ...] = ()

    def environment_report(self, cache_dir: str) -> dict:
        """What a results document's environment records about this device's toolchain, by key (none: {})."""
        return {}

    def runtime_prefs(self, prefs, compiled_dir: str) -> None:
        """Select this runtime device in Brian's preferences (`compiled_dir`: the compiled-code cache root)."""
        raise NotImplementedError(f"device {self.name} is not a runtime device")

    def prepare_standalone(self, prefs, cache_dir: str, build_only: bool) -> list[str]:
        """Device-specific preparation of a standalone project before activation: the notes it leaves."""
        return []

    def standalone_seed_code(self, var: str) -> str | None:
        """C++ that reseeds the binary's generators from the environment variable `var` after brian_start(), where
        the device has its own; None: Brian's C++ generators (check/standalone.py reseeds those)."""
        return None

    def brian_device_class(self):
        """Brian's device class of a standalone device (imported in the device process)."""
        raise NotImplementedError(f"device {self.name} is not a standalone device")

    def code_object_classes(self) -> list:
        """Brian's code object classes of this device (imported in the device process: Brian is loaded there)."""
        return []

    def probe(self) -> Probe:
        raise NotImplementedError

    def activate(self, build_dir: str, cache_dir: str) -> None:
        raise NotImplementedError

    # A long-lived worker process may run job after job on this device, Brian's state reset in between
    # (run/pool.py). False for devices whose state outlives `reset` (each job then gets a fresh process).
    reusable_process = True

    def run(self, network, duration) -> None:
        network.run(duration)

    def reset(self) -> None:
        """Leave Brian as freshly imported, so the process can run the next job (any device)."""
        import importlib
        # the module (brian2.devices.device is also a proxy object)
        brian_device = importlib.import_module("brian2.devices.device")
        brian_device.reinit_devices()    # every device re-initialised, preferences and defaultclock restored
        # reinit_devices re-activates the current device and then sets defaultclock.dt, which a standalone device
        # queues for its next main.cpp: a second reinit, with no standalone device active, drops that, so the
        # next project is generated exactly as in a fresh process (and its cached build stays warm)
        for dev in brian_device.all_devices.values():
            dev.reinit()
        brian_device.set_device("runtime")
        brian_device.previous_devices.clear()

    def network(self, *objects):
        from brian2 import Network
        return Network(*objects)

    # Build mode (probe says BUILD): generate and compile the project, do not run it. Only devices that set
    # `supports_build_only` are planned in that mode; `activate` then gets `build_only=True`.
    supports_build_only = False

    def build_only(self, network, duration) -> None:
        raise NotImplementedError(f"device {self.name} cannot build without running")


