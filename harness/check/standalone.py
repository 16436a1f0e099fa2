"""The C++ standalone side of the sandbox: build after the script's runs, one binary for every seed.

* `set_device('cpp_standalone', build_on_run=False)`; the project is built at the first read of a value after the
  script's `run()` calls (monitor data, a state variable) or at the end of the script, into the harness's build
  folder (a multiprocessing worker of the script gets its own stable folder); a `run()` after that build raises
  `RunAfterBuild` (a NotImplementedError: a skip). The script's `device.build()` (also `run=False` followed by
  `device.run(run_args=...)`) builds there; `device.reinit()` keeps working: the monitors of the finished build
  are read first.
* The binary reseeds Brian's generators (cuda_standalone: its curand buffer) from the environment variable SEED_VAR
  right after `brian_start()`, so one compiled binary serves every seed; a script's own `seed(x)` adds its seed
  line after that, as usual.
* Seeds from one build (branches.py): before the binary's first run, the job's other seeds fork off and each runs
  the binary with its own SEED_VAR (`sandbox.before_binary`).
* Build only (cuda_standalone without a GPU): the project is compiled, never run; reading a value afterwards raises
  `BuiltNotRun`, which ends the script with status ``built``.
* Clocks are iterated in name order (devices/cpu.py `NameOrderedSet`: Brian keeps them in sets hashed by id), so
  the generated code is the same in every process and a rebuild compiles nothing.
* `network_operation` raises NotImplementedError: Brian 2.10's standalone device drops it silently.
"""
from __future__ import annotations

import os

import numpy as np

from brian2_harness.devices.cpu import NameOrderedSet

from . import compat

SEED_VAR = "BRIAN2_HARNESS_SEED"


def reseed_code(spec) -> str:
    """The code that reseeds a standalone device's generators from SEED_VAR after brian_start(): the device's own
    (devices/: cuda_standalone's curand buffer), else Brian's C++ generators as the installed Brian2 declares them
    (compat: `_mersenne_twister_states` before 2.8)."""
    own = spec.standalone_seed_code(SEED_VAR)
    return own if own is not None else compat.reseed_code(SEED_VAR, compat.installed_generator_states())


class RunAfterBuild(NotImplementedError):
    """A `run` call after the standalone project was built (the script read values between runs)."""


class BuiltNotRun(RuntimeError):
    """A value read from a project that was only compiled (no GPU): there is nothing to read."""


def install(sandbox, cls) -> None:
    """Patch Brian's standalone device class `cls` for `sandbox` (see the module docstring)."""
    _refuse_network_operations()
    orig = {name: getattr(cls, name) for name in ("activate", "build", "reinit", "get_value", "run",
                                                  "variableview_get_subexpression_with_index_array",
                                                  "network_get_profiling_info")}
    build = _patch_lifecycle(sandbox, cls, orig, reseed_code(sandbox.spec))
    _patch_reads(sandbox, cls, orig, build)
    _order_network_clocks()


def _refuse_network_operations() -> None:
    from brian2.core.operations import NetworkOperation

    def no_netop(self, *args, **kwargs):
        raise NotImplementedError("network_operation runs Python code during the run, which a C++ standalone "
                                  "binary cannot do (Brian 2.10 drops it without a warning)")
    NetworkOperation.__init__ = no_netop


def _patch_lifecycle(sandbox, cls, orig: dict, seed_code: str):
    """activate (no build on run, the reseeding code), build (into the harness's folder, counted in the timers),
    run (the seed branches fork before the binary) and reinit (the finished build's monitors are read first).
    Returns the patched build."""
    def activate(self, build_on_run=True, **kwargs):
        if build_on_run is not False and getattr(sandbox, "_installed", False):
            sandbox.note("standalone: build_on_run=False (the harness builds after the script's run calls)")
        orig["activate"](self, build_on_run=False, directory=sandbox.project_dir())
        self.clocks = NameOrderedSet(self.clocks)
        if seed_code not in self.code_lines["after_start"]:
            self.insert_code("after_start", seed_code)
        self._b2h_runs, self._b2h_built = 0, False

    def build(self, *args, **kwargs):
        kwargs.update(directory=sandbox.project_dir(), with_output=False, direct_call=False, clean=False)
        kwargs.setdefault("compile", True)
        kwargs.setdefault("run", True)
        if sandbox.build_only:
            kwargs["run"] = False
        binary = os.path.join(sandbox.project_dir(), "main")
        before = os.path.getmtime(binary) if os.path.exists(binary) else None
        self._b2h_built = True
        result = orig["build"](self, **kwargs)
        sandbox.built = True
        if sandbox.rerun_of is not None:          # a branch (branches.py): it ran the binary, built nothing
            return result
        _count_build(sandbox, self, binary, before)
        return result

    def run(self, *args, **kwargs):
        if sandbox.before_binary is not None:
            sandbox.before_binary(self)       # branches.py: the other seeds fork here, from this build
        result = orig["run"](self, *args, **kwargs)
        if sandbox.rerun_of is not None:
            timers = getattr(self, "timers", {}) or {}
            if isinstance(timers.get("run_binary"), (int, float)):
                sandbox.timers["binary_s"] = float(timers["run_binary"])
        return result

    def reinit(self):
        if self.has_been_run and sandbox.snapshot_fn is not None:
            sandbox.snapshots.append(sandbox.snapshot_fn())
        sandbox.note("the script called device.reinit() (several standalone builds)")
        orig["reinit"](self)

    cls.activate, cls.build, cls.reinit, cls.run = activate, build, reinit, run
    return build


def _count_build(sandbox, dev, binary: str, before: float | None) -> None:
    """Add one build to the sandbox's timers: whether it compiled the binary anew, make's and the binary's time."""
    after = os.path.getmtime(binary) if os.path.exists(binary) else None
    timers = getattr(dev, "timers", {}) or {}
    make = (timers.get("compile") or {}).get("make")
    sandbox.timers.setdefault("builds", 0)
    sandbox.timers["builds"] += 1
    sandbox.timers["compiled"] = sandbox.timers.get("compiled", 0) + int(after is not None and after != before)
    for key, value in (("make_s", make), ("binary_s", timers.get("run_binary"))):
        if isinstance(value, (int, float)):
            sandbox.timers[key] = sandbox.timers.get(key, 0.0) + float(value)


def _patch_reads(sandbox, cls, orig: dict, build) -> None:
    """Reading a value after the script's run() calls builds the project first (build only: raises BuiltNotRun)."""
    def ensure_built(self):
        pending = getattr(self, "_b2h_runs", 0) and not getattr(self, "_b2h_built", False)
        if pending and not sandbox.in_run and not self.has_been_run:
            build(self)

    def get_value(self, var, access_data=True):
        if self.array_cache.get(var, None) is None:
            ensure_built(self)
            if sandbox.build_only and sandbox.built:
                raise BuiltNotRun(f"{sandbox.device} was built, not run ({sandbox.build_note or 'build only'}): "
                                  f"no values to read")
        return orig["get_value"](self, var, access_data)

    def subexpression(self, *args, **kwargs):
        ensure_built(self)
        return orig["variableview_get_subexpression_with_index_array"](self, *args, **kwargs)

    def profiling_info(self, net):
        ensure_built(self)
        return orig["network_get_profiling_info"](self, net)

    cls.get_value = get_value
    cls.variableview_get_subexpression_with_index_array = subexpression
    cls.network_get_profiling_info = profiling_info
    cls.ensure_built = ensure_built


def _order_network_clocks() -> None:
    from brian2.core.network import Network

    class OrderedClocks:   # Brian keeps a network's clocks in a set hashed by id: name order instead
        def __get__(self, net, owner=None):
            return net.__dict__.get("_b2h_clocks", NameOrderedSet())

        def __set__(self, net, value):
            net.__dict__["_b2h_clocks"] = NameOrderedSet(value)
    Network._clocks = OrderedClocks()


def network_time(net, dev) -> float:
    """A network's time after a run, without reading a standalone variable (which would build the project).
    Standalone: the network's own end time where the device set it (Brian's network_run sets `net.t_`, as a
    runtime run does), else the latest clock's cached time. Not the latest clock first: a clock whose dt does not
    divide the run (`run_regularly(..., dt=4*defaultclock.dt)` for 27 steps) ends past the network (2.8 vs 2.7 ms),
    and rates divided by that time differed from a runtime device's by their ratio: a statistical false alarm
    (fuzz, stochastic packs)."""
    from brian2.devices.cpp_standalone.device import CPPStandaloneDevice
    try:
        own = float(np.asarray(net.t_).ravel()[0])
    except Exception:
        own = 0.0
    if not isinstance(dev, CPPStandaloneDevice) or own > 0:
        return own
    cache = dev.array_cache
    times = [cache.get(clock.variables["t"]) for clock in net._clocks]
    return max((float(np.asarray(t).ravel()[0]) for t in times if t is not None), default=0.0)

