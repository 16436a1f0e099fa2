"""Devices: how to make Brian2 run generated code on one backend. They know nothing about models.

`probe()` runs in the parent and says whether (and in which mode) a device can be used here;
`activate()` runs inside the isolated worker process before any Brian object is created.
"""
from __future__ import annotations

import functools
import os
import shutil
import subprocess
import sysconfig
import tempfile
from dataclasses import dataclass

from . import slots
from .errors import UsageError

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
    # How generated code computes, which selects the bound (bounds.ARITHMETIC, tolerance.py): "ieee" evaluates
    # expression by expression (numpy); "ieee_contract" is compiled with Brian's -ffast-math flags and may fuse
    # the Euler step into one fused multiply-add.
    arithmetic = "ieee"

    def probe(self) -> Probe:
        raise NotImplementedError

    def activate(self, build_dir: str, cache_dir: str) -> None:
        raise NotImplementedError

    def run(self, network, duration) -> None:
        network.run(duration)

    def network(self, *objects):
        from brian2 import Network
        return Network(*objects)

    # Build mode (probe says BUILD): generate and compile the project, do not run it. Only devices that set
    # `supports_build_only` are planned in that mode; `activate` then gets `build_only=True`.
    supports_build_only = False

    def build_only(self, network, duration) -> None:
        raise NotImplementedError(f"device {self.name} cannot build without running")


class NumpyDevice(Device):
    name, description = "numpy", "runtime, numpy code generation"

    def probe(self):
        return Probe(RUN, "always available")

    def activate(self, build_dir, cache_dir):
        from brian2 import prefs
        prefs.codegen.target = "numpy"


class CythonDevice(Device):
    name, description = "cython", "runtime, Cython-compiled code objects"
    arithmetic = "ieee_contract"

    def probe(self):
        try:
            import Cython  # noqa: F401
        except ImportError:
            return Probe(UNAVAILABLE, "Cython is not installed (pip install cython)")
        if _compiler("c++") is None:
            return Probe(UNAVAILABLE, "no C/C++ compiler found (install gcc/g++)")
        return Probe(RUN, "Cython and a C++ compiler found")

    def activate(self, build_dir, cache_dir):
        from brian2 import prefs
        prefs.codegen.target = "cython"
        # Brian locks each extension in this cache, so concurrent workers can share it.
        prefs.codegen.runtime.cython.cache_dir = os.path.join(cache_dir, "cython")


class NameOrderedSet(set):
    """A set that iterates in name order.

    Brian's standalone device keeps its clocks in a plain set hashed by object id, so the generated
    main.cpp lists them in a different order in every process and make recompiles it. Iterating by
    name makes code generation reproducible, which is what lets a cached build directory stay warm.
    """

    def __iter__(self):
        return iter(sorted(set.__iter__(self), key=lambda obj: obj.name))


def reproducible_network(*objects):
    """A Network whose clock set (assigned by the standalone device at run time) iterates by name."""
    from brian2 import Network

    class ReproducibleNetwork(Network):
        @property
        def _clocks(self):
            return self.__dict__.get("_ordered_clocks", NameOrderedSet())

        @_clocks.setter
        def _clocks(self, value):
            self.__dict__["_ordered_clocks"] = NameOrderedSet(value)

    return ReproducibleNetwork(*objects)


class CppStandaloneDevice(Device):
    standalone = True
    arithmetic = "ieee_contract"

    def __init__(self, name: str, threads: int):
        self.name, self.threads = name, threads
        self.applied: list[str] = []     # listed per job in the results JSON (jobs[].workarounds)
        self.timing: dict = {}           # compile_s / exec_s of the last run (Brian's timers)
        self.description = "C++ standalone" + (f", OpenMP with {threads} threads" if threads else "")

    def probe(self):
        if _compiler("c++") is None:
            return Probe(UNAVAILABLE, "no C++ compiler found (install g++)")
        if shutil.which("make") is None:
            return Probe(UNAVAILABLE, "make not found (install make)")
        if self.threads:
            why = _openmp_works()
            if why:
                return Probe(UNAVAILABLE, f"OpenMP unavailable: {why}")
        return Probe(RUN, "C++ compiler and make found" + (", OpenMP works" if self.threads else ""))

    def network(self, *objects):
        return reproducible_network(*objects)

    def activate(self, build_dir, cache_dir):
        from brian2 import prefs, set_device
        prefs.devices.cpp_standalone.openmp_threads = self.threads
        self.applied, self.timing = [], {}
        if self.threads:
            # OpenMP threads spin at barriers; on a machine with more runnable threads than cores every
            # barrier then waits for a scheduler slice (20-50x slower). Passive waiting unless the user chose.
            value, _ = slots.wait_policy()
            env = dict(prefs.devices.cpp_standalone.run_environment_variables)
            env[slots.WAIT_POLICY_VAR] = value
            prefs.devices.cpp_standalone.run_environment_variables = env
            self.applied.append(slots.wait_policy_note())
        set_device("cpp_standalone", directory=build_dir, build_on_run=True)
        from brian2 import get_device
        get_device().clocks = NameOrderedSet(get_device().clocks)

    def run(self, network, duration) -> None:
        network.run(duration)
        from brian2 import get_device
        timers = getattr(get_device(), "timers", None) or {}   # Brian's own: make and the binary, seconds
        make = (timers.get("compile") or {}).get("make")
        if isinstance(make, (int, float)):
            self.timing["compile_s"] = float(make)
        if isinstance(timers.get("run_binary"), (int, float)):
            self.timing["exec_s"] = float(timers["run_binary"])


_DEVICES: dict[str, Device] = {}


def register_device(device: Device) -> None:
    _DEVICES[device.name] = device


for _d in (NumpyDevice(), CythonDevice(), CppStandaloneDevice("cpp_standalone", 0),
           CppStandaloneDevice("cpp_standalone_omp", 2)):
    register_device(_d)


def _cuda_device() -> Device:
    # harness/cuda.py uses the standard library only; brian2cuda is imported in its activate() (worker).
    # Created on first lookup: cuda.py subclasses Device, so it cannot be imported while this module loads.
    from .cuda import CudaStandaloneDevice
    return CudaStandaloneDevice()


_LAZY = {"cuda_standalone": _cuda_device}


def _materialize() -> None:
    while _LAZY:
        name, factory = next(iter(_LAZY.items()))
        register_device(factory())
        del _LAZY[name]


def get_device(name: str) -> Device:
    _materialize()
    if name not in _DEVICES:
        raise UsageError(f"unknown device '{name}'; known devices: {', '.join(_DEVICES)}")
    return _DEVICES[name]


def all_devices() -> list[Device]:
    _materialize()
    return list(_DEVICES.values())


CPU_DEVICES = ("numpy", "cython", "cpp_standalone", "cpp_standalone_omp")
