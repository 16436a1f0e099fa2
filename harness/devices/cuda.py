"""The `cuda_standalone` device (brian2cuda). Importing this module is cheap (standard library only); Brian2 and
brian2cuda are imported in `CudaStandaloneDevice.activate`, inside the isolated worker process. The toolchain
detection and workarounds are in cuda_toolchain.py."""
from __future__ import annotations

import json
import os

from brian2_harness.devices.base import BUILD, RUN, UNAVAILABLE, Device, Probe  # noqa: F401
from brian2_harness.devices.cpu import NameOrderedSet, reproducible_network
from brian2_harness.devices.cuda_toolchain import *  # noqa: F401,F403  (the toolchain API, re-exported)
from brian2_harness.devices.cuda_toolchain import (  # noqa: F401
    NAME,
    Toolchain,
    apply_toolchain,
    detect,
    environment_report,
    probe_toolchain,
)


class CudaStandaloneDevice(Device):
    """brian2cuda's CUDA standalone device. Mode `run` with a GPU; mode `build` (compile, no run) without."""

    name, description = NAME, "CUDA standalone (brian2cuda): generated CUDA project built with nvcc"
    standalone = True
    brian_name = NAME
    reusable_process = False         # brian2cuda patches Brian at import and keeps GPU state: one process per job
    server_group = NAME              # brian2cuda patches Brian at import: its own process server
    supports_build_only = True
    arithmetic = "cuda_fast_math"      # -use_fast_math, atomics: tolerance.cuda_weight_tolerance
    records_stream = False           # it draws from curand (its own code objects): never "the same stream"
    own_code_object = True           # brian2cuda's device class has its own code_object
    probe_in_build_key = True        # one build folder per toolchain as probed
    gpu = True
    serial_twin = "cpp_standalone"   # bench --device cuda_standalone compares warm runs with it
    needs = (*Device.needs, "brian2cuda", "nvcc", "curand", "g++", "make")
    run_needs = ("gpu",)

    def environment_report(self, cache_dir):
        """The CUDA toolchain as detected (cuda_toolchain.environment_report)."""
        return {"cuda": environment_report(cache_dir=cache_dir)}

    def standalone_seed_code(self, var):
        """Its curand buffer's seed."""
        return ("{ const char* _b2h_s = std::getenv(\"%s\"); if (_b2h_s) "
                "brian::random_number_buffer.set_seed(std::strtoull(_b2h_s, NULL, 10)); }" % var)

    def brian_device_class(self):
        from brian2cuda.device import CUDAStandaloneDevice  # registers cuda_standalone on import
        return CUDAStandaloneDevice

    def prepare_standalone(self, prefs, cache_dir, build_only):
        """The toolchain's workarounds (cuda_toolchain.py)."""
        return [f"{NAME}: {line}" for line in apply_toolchain(detect(), cache_dir, build_only=build_only)]

    def __init__(self):
        self.build_dir: str | None = None
        self.applied: list[str] = []       # workaround descriptions, set by activate()
        self.timing: dict = {}             # compile_s / exec_s of the last run or build
        self.fingerprint = ""              # toolchain + target the build folder was compiled for

    def toolchain(self) -> Toolchain:
        return detect()

    def probe(self) -> Probe:
        return probe_toolchain(detect())

    def network(self, *objects):
        return reproducible_network(*objects)    # same generated code in every process: cached builds stay warm

    def activate(self, build_dir, cache_dir, build_only: bool = False):
        from brian2 import get_device, set_device
        tc = detect()
        self.applied = apply_toolchain(tc, cache_dir, build_only=build_only)
        self.build_dir = build_dir
        self.fingerprint = json.dumps({"nvcc": tc.nvcc, "cuda": tc.cuda_version_str, "gpu": str(tc.best_gpu()),
                                       "workarounds": self.applied}, sort_keys=True)
        # build_on_run=False: the worker builds explicitly, so that compiling and running are timed apart
        # and a build-only cell can compile without running.
        set_device(NAME, directory=build_dir, build_on_run=False)
        get_device().clocks = NameOrderedSet(get_device().clocks)

    def _build(self, network, duration, run: bool) -> None:
        import resource
        import time

        from brian2 import device as current

        def child_cpu() -> float:   # make + nvcc + gcc: CPU seconds, independent of machine load
            r = resource.getrusage(resource.RUSAGE_CHILDREN)
            return r.ru_utime + r.ru_stime

        network.run(duration)                   # records the run in the generated project
        # The makefile does not make objects depend on flags: a reused build folder whose toolchain or
        # target changed (another nvcc, GPU or workaround) is cleaned, or make would link stale objects.
        stamp = os.path.join(self.build_dir, ".harness-toolchain.json")
        try:
            with open(stamp) as f:
                clean = f.read() != self.fingerprint
        except OSError:
            clean = os.path.exists(os.path.join(self.build_dir, "makefile"))
        t0, c0 = time.perf_counter(), child_cpu()
        current.build(directory=self.build_dir, compile=True, run=False, clean=clean)
        t1 = time.perf_counter()
        with open(stamp, "w") as f:
            f.write(self.fingerprint)
        self.timing = {"compile_s": t1 - t0, "compile_cpu_s": child_cpu() - c0}
        if run:
            current.run(directory=self.build_dir, results_directory="results", with_output=True)
            self.timing["exec_s"] = time.perf_counter() - t1

    def run(self, network, duration) -> None:
        self._build(network, duration, run=True)

    def build_only(self, network, duration) -> None:
        self._build(network, duration, run=False)
