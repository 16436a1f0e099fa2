"""Standalone seeds without rebuilding: one build per script and device, the binary run once per seed.

The standalone binary takes its seed at run time (standalone.py: it reseeds Brian's generators from SEED_VAR right
after brian_start(); Brian's own `seed(k)` would be compiled into main.cpp), so every seed can run the same compiled
project. The first seed's run of the script forks, just before the binary's first run (the project generated and
compiled), one branch per other seed of the job. A branch becomes that seed's run: its own folder and log, its own
copy of the working folder (as the first run left it), SEED_VAR, numpy and `random` seeded as the harness seeds a
run; it runs the binary and the rest of the script (reading the results, the script's own post-processing) and
writes that seed's results, as a run of its own would. The first seed waits for each branch in turn (they share
the project folder), then runs its own binary.

What the script computed in Python before the build is the same for every seed only if none of it depended on the
seed, so branches are made only when
* the script did not seed itself (statistical mode gives each seed its own replacement seed, compiled in),
* numpy's global generator and Python's `random` are as the harness left them: the script drew nothing from them
  before the build (such values are part of the project, e.g. ``G.v = rand(N)``),
* it is the first binary run of the run's own process (no device.reinit() before; not a worker of the script).
Otherwise every other seed reruns the script from the start (code generation again; make recompiles nothing) and
the notes say why. `--fresh-processes` (the job's ``rebuild_per_seed``) keeps that path too. The branching needs
nothing of Brian but `device.run`, so it works alike on every Brian2 version the harness supports (no run_args).
"""
from __future__ import annotations

import hashlib
import os
import pickle
import shutil
import sys

from brian2_harness.devices import get_device

from . import inputs, waiting
from .standalone import SEED_VAR
from .streams import STREAM_VAR


def seeds_to_branch(job: dict, rest: list) -> list:
    """The seeds the first seed's run may serve from its build (the rest of the job's seeds, standalone only)."""
    if not rest or not hasattr(os, "fork") or job.get("build_only") or job.get("rebuild_per_seed"):
        return []
    return list(rest) if get_device(job["device"]).standalone else []


def state_digest() -> str:
    """numpy's global generator and Python's `random`, as a digest."""
    import random

    import numpy as np
    return hashlib.sha1(pickle.dumps((np.random.get_state(), random.getstate()))).hexdigest()


def why_not(sandbox, dev) -> str:
    """Why the seeds cannot share this build ("" when they can)."""
    if sandbox.script_seeded:
        return "the script seeds its random numbers itself"
    if os.getpid() != sandbox.pid:
        return "the build is in a worker process of the script"
    if getattr(dev, "has_been_run", False) or sandbox.snapshots:
        return "the project was run before (device.reinit())"
    if state_digest() != sandbox.seeded_state:
        return "the script drew from numpy's or Python's global random generator before the build"
    return ""


def forker(sandbox, seeds: list, timeout: float, wait, write_failure):
    """`sandbox.before_binary(device)`, called by standalone.py before each binary run: at the first, the branches.
    `wait(pid, timeout)` and `write_failure(out, job, seed, status, reason, seconds)` are the runner's."""
    pending = list(seeds)

    def before_binary(dev) -> None:
        todo = pending[:]
        pending.clear()
        if not todo:
            return
        why = why_not(sandbox, dev)
        if why:
            sandbox.note(f"standalone: each seed rebuilt the project ({why})")
            return
        run = sandbox.run_ctx
        sandbox.note(f"standalone: one build for {1 + len(todo)} seeds (the binary reseeded at run time)")
        for seed in todo:
            if waiting.stopped(os.path.dirname(run.out), seed):
                continue        # the check took what it needed, or a helper job runs it (seed_stream.py)
            out = os.path.join(os.path.dirname(run.out), f"seed-{seed}")
            sys.stdout.flush()
            sys.stderr.flush()
            pid = os.fork()
            if pid == 0:
                os.setpgid(0, 0)
                become(sandbox, run, seed, out)
                return          # this process is now `seed`'s run: on to the binary
            status, seconds = wait(pid, timeout)
            if status is None:
                write_failure(out, run.job, seed, "error", f"timed out after {seconds:.0f} s (the limit per run: "
                              f"--timeout)", seconds)
            elif status != 0:
                why = f"signal {os.WTERMSIG(status)}" if os.WIFSIGNALED(status) else \
                    f"status {os.WEXITSTATUS(status)}"
                write_failure(out, run.job, seed, "error", f"the device process died ({why}); see log.txt", seconds)
    return before_binary


def become(sandbox, run, seed: int, out: str) -> None:
    """In a branch: from here on, the run of `seed` (see the module docstring)."""
    old_out, old_work = run.out, run.work
    first = run.seed
    run.seed, run.out = seed, out
    os.makedirs(out, exist_ok=True)
    run.redirect()
    work = os.path.join(out, "cwd")
    shutil.copytree(old_work, work, symlinks=True)      # copy2: mtimes kept, so `written` lists what it did before
    os.chdir(work)
    sys.path[:] = [work if p == old_work else p for p in sys.path]
    run.copies.append((inputs.watch(work, run.excluded), work))
    run.work = work
    for suffix in ("", ".random"):
        src = os.path.join(old_out, "run-calls" + suffix)
        if os.path.exists(src):
            shutil.copy2(src, os.path.join(out, "run-calls" + suffix))
    sandbox.counter_path = os.path.join(out, "run-calls")
    sandbox.pid = os.getpid()
    sandbox.seed = seed
    sandbox.rerun_of = first
    sandbox.timers = {k: v for k, v in sandbox.timers.items() if k not in ("builds", "compiled", "make_s")}
    sandbox.timers["binary_reruns"] = 1
    os.environ[SEED_VAR] = str(seed)
    sandbox.reseed(seed)
    recorder = sandbox.recorder
    if recorder is not None and recorder.file:
        recorder.file = os.path.join(out, "stream.txt")
        os.environ[STREAM_VAR] = recorder.file
