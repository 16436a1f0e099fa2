"""Inside one device process: make an unmodified Brian2 script run on the chosen device.

Installed before the script runs (`install`), undone never: the process is thrown away afterwards, after its later
seeds (warm.py: Brian's global state set back to what the first run started from).

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

`Sandbox` holds the run's state and installs the patches, one concern per module: intercept.py (plotting, the
script's set_device and device preferences), seeding.py, observers.py (monitors, random sources), runcalls.py
(`Network.run`), activate.py (the chosen device) and standalone.py (build control).
"""
from __future__ import annotations

import os

from brian2_harness.devices import get_device as catalog_device

from . import activate, intercept, observers, runcalls, seeding, streams, warm
from .standalone import SEED_VAR, BuiltNotRun, RunAfterBuild, network_time  # noqa: F401


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
        self.perturb = 0                  # noise-floor run k > 0: state moved by one ulp (realization k)
        self.recorder = None              # streams.Recorder: the random numbers generated code drew
        self.run_ctx = None               # runner.Run: where this run writes
        self.before_binary = None         # branches.forker: standalone seeds from one build
        self.rerun_of = None              # a branch: the seed whose build it runs
        self.start_run()

    def start_run(self) -> None:
        """What one run of the script finds out, empty (again: warm.py runs a later seed in this process)."""
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
        self.perturbed: list[str] = []
        self.nudger = None                # floor.Nudger of the noise-floor run
        self.namespace: dict | None = None    # the script's module globals (seen at its run() calls)
        self.before_run: dict = {}        # global name -> its value at the first run() (held): rebound ones are results
        self.seeded_state = ""            # branches.state_digest() right after the harness seeded numpy and random
        if self.recorder is not None:
            self.recorder.reset()

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
        if getattr(self, "_installed", False):      # a later seed in the same process (warm.py)
            warm.again(self)
            return
        os.environ["MPLBACKEND"] = "Agg"
        intercept.plotting()
        import random  # noqa: F401  (imported before Brian, as always)

        import brian2
        import numpy as np
        seeding.install(self, brian2, np)
        observers.monitors(self)
        observers.random_detection(self)
        runcalls.install(self, brian2)
        real_set_device = intercept.set_device(self, brian2)
        intercept.fixed_prefs(self)
        activate.device(self, brian2, real_set_device)
        self._installed = True
        # a device whose stream cannot be recorded (cuda_standalone: curand) never has "the same stream"
        self.recorder = streams.install(self, brian2, self.spec.threads) if self.spec.records_stream else \
            streams.Recorder(0)
        self.initial = warm.initial_state(brian2)   # what a later seed in this process starts from again

    def reseed(self, seed: int) -> None:
        """numpy's global generator and Python's `random`, as before the script (also in a standalone branch)."""
        seeding.reseed(self, seed)

    def finish(self) -> None:
        """After the script: build a standalone project whose runs were never built."""
        if self.standalone:
            from brian2 import get_device
            dev = get_device()
            if hasattr(dev, "ensure_built"):
                dev.ensure_built()
