"""The CPU devices: numpy and Cython (runtime), C++ standalone with and without OpenMP."""
from __future__ import annotations

import os
import shutil

from brian2_harness.devices import makefile, openmp, pch
from brian2_harness.devices.base import BUILD, RUN, UNAVAILABLE, Device, Probe, _compiler, _openmp_works  # noqa: F401


def cython_cache(compiled_dir) -> str:
    """Cython's compiled-code cache below the compiled-code cache root (`check` and the Cython device share it)."""
    return os.path.join(compiled_dir, "cython")


class NumpyDevice(Device):
    name, description = "numpy", "runtime, numpy code generation"
    can_perturb, random_stream = True, "numpy_random"

    def runtime_prefs(self, prefs, compiled_dir):
        prefs.codegen.target = self.name

    def code_object_classes(self):
        from brian2.codegen.runtime.numpy_rt import NumpyCodeObject
        return [NumpyCodeObject]

    def probe(self):
        return Probe(RUN, "always available")

    def activate(self, build_dir, cache_dir):
        from brian2 import prefs
        prefs.codegen.target = "numpy"


class CythonDevice(Device):
    name, description = "cython", "runtime, Cython-compiled code objects"
    arithmetic = "ieee_contract"
    can_perturb, random_stream = True, "cython_random"
    cpp_functions = cython_compiled = True
    needs = (*Device.needs, "cython", "gcc", "g++")

    def runtime_prefs(self, prefs, compiled_dir):
        prefs.codegen.target = self.name
        prefs.codegen.runtime.cython.cache_dir = compiled_dir

    def code_object_classes(self):
        from brian2.codegen.runtime.cython_rt import CythonCodeObject
        return [CythonCodeObject]

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
        prefs.codegen.runtime.cython.cache_dir = cython_cache(cache_dir)


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
    brian_name = "cpp_standalone"
    arithmetic = "ieee_contract"
    random_stream = "cpp_generators"    # one serial stream only without OpenMP (a generator per thread)
    precompiled_headers = True
    cpp_functions = True

    def brian_device_class(self):
        from brian2.devices.cpp_standalone.device import CPPStandaloneDevice
        return CPPStandaloneDevice

    def code_object_classes(self):
        from brian2.devices.cpp_standalone.codeobject import CPPStandaloneCodeObject
        return [CPPStandaloneCodeObject]

    def __init__(self, name: str, threads: int):
        self.name, self.threads = name, threads
        self.serial_twin = None if not threads else "cpp_standalone"     # the same project without OpenMP
        self.needs = (*Device.needs, "g++", "make") + (("openmp",) if threads else ())
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
        makefile.bounded_make_args(prefs, openmp.cores())
        if self.threads:
            # OpenMP threads spin at barriers; on a machine with more runnable threads than cores every
            # barrier then waits for a scheduler slice (20-50x slower). Passive waiting unless the user chose.
            value, _ = openmp.wait_policy()
            env = dict(prefs.devices.cpp_standalone.run_environment_variables)
            env[openmp.WAIT_POLICY_VAR] = value
            prefs.devices.cpp_standalone.run_environment_variables = env
            self.applied.append(openmp.wait_policy_note())
        set_device("cpp_standalone", directory=build_dir, build_on_run=True)
        from brian2 import get_device
        get_device().clocks = NameOrderedSet(get_device().clocks)
        makefile.attach(get_device(), pch.start(cache_dir, self.threads))

    def run(self, network, duration) -> None:
        network.run(duration)
        from brian2 import get_device
        timers = getattr(get_device(), "timers", None) or {}   # Brian's own: make and the binary, seconds
        make = (timers.get("compile") or {}).get("make")
        if isinstance(make, (int, float)):
            self.timing["compile_s"] = float(make)
        if isinstance(timers.get("run_binary"), (int, float)):
            self.timing["exec_s"] = float(timers["run_binary"])


