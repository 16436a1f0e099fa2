"""Inside one device process: make an unmodified Brian2 script run on the chosen device.

Installed before the script runs (`install`), undone never: the process is thrown away afterwards.

* plotting: MPLBACKEND=Agg, `plt.show`/`plt.pause`/`matplotlib.use` become no-ops;
* device: chosen here from the harness's catalog (devices/: numpy, cython, cpp_standalone[_omp], cuda_standalone);
  the script's own `set_device`, `prefs.codegen.target` and OpenMP thread count are ignored (listed in the notes);
  OpenMP binaries wait as devices/openmp.py says (OMP_WAIT_POLICY); cuda_standalone gets the toolchain workarounds of
  devices/cuda_toolchain.py and, without a GPU, is only built (`build_only`);
* standalone: built after the script's `run` calls, one binary for every seed (see standalone.py);
* seeds: numpy (and Python's `random`) get the run's seed before the script; standalone binaries reseed Brian's
  generators from the environment variable SEED_VAR (one compiled binary serves every seed). In statistical mode
  the script's own `seed(s)` / `np.random.seed(s)` calls are replaced by a seed derived from (s, run seed), so
  that K runs are K different samples;
* `run` durations: with a cap, every `run()`/`Network.run()` call runs at most `cap` seconds (noted);
* random numbers in generated code are detected where Brian creates each code object (`random_sources`).
"""
from __future__ import annotations

import os
import re
import sys
import zlib

from brian2_harness.devices import get_device as catalog_device
from brian2_harness.devices import makefile, openmp, pch

from . import compat, floor, probe, standalone, streams
from .standalone import SEED_VAR, BuiltNotRun, RunAfterBuild, network_time  # noqa: F401


def derived_seed(script_seed, run_seed: int) -> int:
    """The seed that replaces a script's own seed call in statistical mode (deterministic, per run seed)."""
    return zlib.crc32(f"{script_seed!r}/{run_seed}".encode()) & 0x7FFFFFFF


class Sandbox:
    def __init__(self, device: str, seed: int, stat: bool, cap: float | None, build_dir: str, cython_dir: str,
                 build_only: bool = False):
        self.device, self.seed, self.stat, self.cap = device, seed, stat, cap
        self.build_dir, self.cython_dir = build_dir, cython_dir
        self.spec = catalog_device(device)      # devices/: standalone?, Brian's name, OpenMP threads
        self.standalone = bool(self.spec.standalone)
        self.build_only = build_only            # compile, never run (cuda_standalone without a GPU)
        self.build_note = ""                    # the probe's reason for building only
        self.pid = os.getpid()
        self.counter_path = ""            # set by the runner
        self.notes: list[str] = []
        self.random_sources: set[str] = set()
        self.monitors: list = []          # every monitor the script created (kept alive to be read at the end)
        self.snapshots: list[dict] = []   # standalone: monitors read before a device.reinit()
        self.run_calls = 0
        self.in_run = 0
        self.capped = 0
        self.t_end = 0.0                  # largest network time reached (seconds)
        self.timers: dict = {}
        self.built = False
        self.snapshot_fn = None           # set by the runner: reads monitors into a dict
        self.script_seeded = False        # the script called seed() / numpy.random.seed() itself
        self.script_standalone = ""       # the standalone device the script asked for with set_device()
        self.perturb = 0                  # noise-floor run k > 0: state moved by one ulp (realization k)
        self.perturbed: list[str] = []
        self.nudger = None                # floor.Nudger of the noise-floor run
        self.recorder = None              # streams.Recorder: the random numbers generated code drew
        self.namespace: dict | None = None    # the script's module globals (seen at its run() calls)
        self.before_run: dict = {}        # global name -> id(value) at the first run(): later ones are results
        self.run_ctx = None               # runner.Run: where this run writes
        self.before_binary = None         # branches.forker: standalone seeds from one build
        self.seeded_state = ""            # branches.state_digest() right after the harness seeded numpy and random
        self.rerun_of = None              # a branch: the seed whose build it runs

    def project_dir(self) -> str:
        """The standalone project folder; a multiprocessing worker of the script gets its own (stable) one."""
        if os.getpid() == self.pid:
            return self.build_dir
        import multiprocessing
        ident = multiprocessing.current_process()._identity
        return f"{self.build_dir}-worker{'-'.join(map(str, ident)) or os.getpid()}"

    def count_run(self, t_end: float) -> None:
        """run() calls, also those in the script's own worker processes (multiprocessing): one line each."""
        self.run_calls += 1
        self.t_end = max(self.t_end, t_end)
        if self.counter_path:
            with open(self.counter_path, "a") as f:
                f.write(f"{t_end!r}\n")

    def _counted(self) -> list[float]:
        try:
            with open(self.counter_path) as f:
                return [float(x) for x in f.read().split()]
        except (OSError, ValueError, TypeError):
            return []

    def all_random_sources(self) -> list[str]:
        found = set(self.random_sources)
        if self.counter_path and os.path.exists(self.counter_path + ".random"):
            with open(self.counter_path + ".random") as f:
                found |= {line.strip() for line in f if line.strip()}
        return sorted(found)

    def runs_everywhere(self) -> int:
        return max(len(self._counted()), self.run_calls)

    def t_end_everywhere(self) -> float:
        return max(self._counted() + [self.t_end])

    def note(self, text: str) -> None:
        if text not in self.notes:
            self.notes.append(text)

    # --- installation -----------------------------------------------------------------------------------
    def install(self) -> None:
        os.environ["MPLBACKEND"] = "Agg"
        self._plotting()
        import random

        import brian2
        import numpy as np
        self._seeds(brian2, np, random)
        self._monitors(brian2)
        self._random_detection(brian2)
        self._run_cap(brian2)
        self._device(brian2)
        # cuda_standalone draws from curand (its own code objects): nothing recorded, so never "the same stream"
        self.recorder = streams.Recorder(0) if self.spec.brian_name == "cuda_standalone" else \
            streams.install(self, brian2, self.spec.threads)

    def _plotting(self) -> None:
        try:
            import matplotlib
            matplotlib.use("Agg")
            import matplotlib.pyplot as plt
        except ImportError:
            return
        matplotlib.use = lambda *a, **k: None
        plt.show = lambda *a, **k: None
        plt.pause = lambda *a, **k: None

    def _seeds(self, brian2, np, random) -> None:
        devmod = sys.modules["brian2.devices.device"]     # (brian2.devices.device is the device proxy)
        real_seed, real_np_seed = devmod.seed, np.random.seed
        self._real_np_seed = real_np_seed
        self.reseed(self.seed)
        if not self.standalone:
            real_seed(self.seed)        # numpy state and Brian's buffers
        os.environ[SEED_VAR] = str(self.seed)
        sandbox = self

        inside = []      # Brian's seed() calls numpy.random.seed itself: not a second script seed

        def script_seed(seed=None):
            sandbox.script_seeded = True
            new = derived_seed(seed, sandbox.seed) if sandbox.stat else seed
            if sandbox.stat:
                sandbox.note(f"statistical mode: the script's seed({seed}) ran as seed({new})")
            inside.append(1)
            try:
                return real_seed(new)
            finally:
                inside.pop()

        def script_np_seed(seed=None):
            if inside:
                return real_np_seed(seed)
            sandbox.script_seeded = True
            if not sandbox.stat:
                return real_np_seed(seed)
            new = derived_seed(seed, sandbox.seed)
            sandbox.note(f"statistical mode: the script's numpy.random.seed({seed}) ran as seed({new})")
            return real_np_seed(new)

        for mod in (brian2, devmod):
            mod.seed = script_seed
        np.random.seed = script_np_seed

    def reseed(self, seed: int) -> None:
        """numpy's global generator and Python's `random`, as before the script (also in a standalone branch)."""
        import random
        self._real_np_seed(seed)
        random.seed(seed)
        from .branches import state_digest
        self.seeded_state = state_digest()

    def _monitors(self, brian2) -> None:
        from brian2.monitors.ratemonitor import PopulationRateMonitor
        from brian2.monitors.spikemonitor import EventMonitor
        from brian2.monitors.statemonitor import StateMonitor
        sandbox = self
        for cls in (StateMonitor, EventMonitor, PopulationRateMonitor):
            original = cls.__dict__["__init__"]

            def init(self, *args, __original=original, **kwargs):
                __original(self, *args, **kwargs)
                if all(m is not self for m in sandbox.monitors):
                    sandbox.monitors.append(self)
            cls.__init__ = init

    def _random_detection(self, brian2) -> None:
        from brian2.devices.cpp_standalone.device import CPPStandaloneDevice
        from brian2.devices.device import Device
        sandbox = self
        classes = [Device, CPPStandaloneDevice]
        if self.standalone and self.spec.brian_name != "cpp_standalone":    # its own code_object (brian2cuda)
            classes.append(standalone.brian_device_class(self.spec.brian_name))
        for cls in classes:
            original = cls.__dict__["code_object"]

            def code_object(self, owner, name, abstract_code, variables, template_name, *args,
                            __original=original, **kwargs):
                why = draws_random(abstract_code, variables, template_name, kwargs.get("template_kwds"))
                if why:
                    sandbox.random_sources.add(f"{getattr(owner, 'name', owner)}: {why}")
                    if os.getpid() != sandbox.pid and sandbox.counter_path:   # a worker process of the script
                        with open(sandbox.counter_path + ".random", "a") as f:
                            f.write(f"{getattr(owner, 'name', owner)}: {why}\n")
                return __original(self, owner, name, abstract_code, variables, template_name, *args, **kwargs)
            cls.code_object = code_object

    def _run_cap(self, brian2) -> None:
        from brian2.core.network import Network
        original = Network.run
        signature = compat.run_signature(original)
        sandbox = self

        def run(self, *args, **kwargs):
            bound = signature.bind(self, *args, **kwargs)
            bound.apply_defaults()
            duration = bound.arguments["duration"]
            if sandbox.cap is not None and float(duration) > sandbox.cap:
                sandbox.capped += 1
                bound.arguments["duration"] = sandbox.cap * brian2.second
            from brian2 import get_device
            dev = get_device()
            if sandbox.standalone and getattr(dev, "_b2h_built", False):
                raise RunAfterBuild("C++ standalone runs every run() of a project in one build; this script calls "
                                    "run() after reading results (or after device.build()), which Brian's "
                                    "standalone mode cannot do without device.reinit()")
            bound.arguments["level"] = bound.arguments.get("level", 0) + 1
            if sandbox.standalone:
                dev._b2h_runs = getattr(dev, "_b2h_runs", 0) + 1
            main = getattr(sys.modules.get("__main__"), "__dict__", None)
            if main is not None and main.get("__file__") and not sandbox.run_calls:
                sandbox.namespace = main
                sandbox.before_run = {k: id(v) for k, v in main.items()}
            if sandbox.perturb and not sandbox.standalone:
                if sandbox.nudger is None:
                    sandbox.nudger = floor.Nudger(list(self.objects), sandbox.perturb)
                    sandbox.perturbed = sandbox.nudger.names
                self.objects.add(sandbox.nudger.operation())
            sandbox.in_run += 1      # Brian reads values during a run and expects NotImplementedError
            try:
                result = original(*bound.args, **bound.kwargs)
            finally:
                sandbox.in_run -= 1
            sandbox.count_run(network_time(self, dev))
            return result
        Network.run = run

    # --- devices ----------------------------------------------------------------------------------------
    def _device(self, brian2) -> None:
        from brian2.core.preferences import BrianGlobalPreferences
        devmod = sys.modules["brian2.devices.device"]
        sandbox = self
        real_set_device = devmod.set_device

        def script_set_device(device, build_on_run=True, **kwargs):
            name = probe.attr(device, "name", device)      # whatever the script passed (probe.py)
            if "standalone" in str(name):
                sandbox.script_standalone = str(name)
            sandbox.note(f"the script's set_device({name!r}) was ignored: device {sandbox.device} was chosen "
                         f"before the script ran")
            if sandbox.standalone:    # re-activates the device (needed after a device.reinit())
                real_set_device(sandbox.spec.brian_name, build_on_run=False, directory=sandbox.project_dir())
        for mod in (brian2, devmod, sys.modules["brian2.devices"]):
            mod.set_device = script_set_device

        fixed = {"codegen.target"} | ({"devices.cpp_standalone.openmp_threads"} if self.standalone else set())
        original_setitem = BrianGlobalPreferences.__setitem__

        def setitem(prefs, name, value):
            if name in fixed and getattr(sandbox, "_installed", False):
                sandbox.note(f"the script's prefs.{name} = {value!r} was ignored (device {sandbox.device})")
                return
            original_setitem(prefs, name, value)
        BrianGlobalPreferences.__setitem__ = setitem

        prefs = brian2.prefs
        if not self.standalone:
            from brian2.devices.device import RuntimeDevice

            def standalone_only(self, *args, **kwargs):
                raise NotImplementedError("device.run() (re-running a built standalone project, e.g. with run_args) "
                                          "exists only for standalone devices")
            RuntimeDevice.run = standalone_only
            prefs.codegen.target = self.device
            if self.device == "cython":
                prefs.codegen.runtime.cython.cache_dir = self.cython_dir
        elif self.standalone:
            self._standalone_prefs(prefs)
            standalone.install(self, standalone.brian_device_class(self.spec.brian_name))
            real_set_device(self.spec.brian_name, build_on_run=False, directory=self.build_dir)
            if self.spec.brian_name == "cpp_standalone":
                from brian2 import get_device
                makefile.attach(get_device(), pch.start(os.path.dirname(self.cython_dir), self.spec.threads))
        else:
            raise NotImplementedError(f"brian2-harness check has no device named {self.device!r}")
        self._installed = True

    def _standalone_prefs(self, prefs) -> None:
        """OpenMP threads and their wait policy (devices/openmp.py); make -j <cores> instead of Brian's unbounded -j
        (devices/makefile.py; the script may set its own); cuda_standalone: the toolchain's workarounds."""
        prefs.devices.cpp_standalone.openmp_threads = self.spec.threads
        makefile.bounded_make_args(prefs, openmp.cores())
        if self.spec.threads:
            env = dict(prefs.devices.cpp_standalone.run_environment_variables)
            env[openmp.WAIT_POLICY_VAR] = openmp.wait_policy()[0]
            prefs.devices.cpp_standalone.run_environment_variables = env
            self.note(openmp.wait_policy_note())
        if self.spec.brian_name == "cuda_standalone":
            from brian2_harness.devices import cuda_toolchain
            for line in cuda_toolchain.apply_toolchain(cuda_toolchain.detect(), os.path.dirname(self.cython_dir),
                                                       build_only=self.build_only):
                self.note(f"cuda_standalone: {line}")

    def finish(self) -> None:
        """After the script: build a standalone project whose runs were never built."""
        if self.standalone:
            from brian2 import get_device
            dev = get_device()
            if hasattr(dev, "ensure_built"):
                dev.ensure_built()


def draws_random(abstract_code, variables, template_name, template_kwds) -> str:
    """Why a code object draws random numbers ("" if it does not): its abstract code calls a random Function
    (rand, randn, poisson, binomial: Brian marks them stateless=False), or `connect` samples randomly."""
    from brian2.core.functions import Function
    texts = abstract_code.values() if isinstance(abstract_code, dict) else [abstract_code]
    text = "\n".join(str(t) for t in texts if t) + "\n" + "\n".join(
        str(v) for v in (template_kwds or {}).values() if isinstance(v, str))
    names = sorted(n for n, v in (variables or {}).items()
                   if isinstance(v, Function) and getattr(v, "stateless", True) is False
                   and re.search(rf"\b{re.escape(n)}\s*\(", text))
    if names:
        return f"{', '.join(names)} in {template_name}"
    if template_name == "synapses_create_generator" and (template_kwds or {}).get("iterator_func") == "sample":
        return "random sampling in connect()"
    return ""
