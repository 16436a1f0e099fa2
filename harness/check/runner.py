"""The device process: `python -m brian2_harness.check.runner JOB.json`.

Imports Brian2 once, then forks one child per seed: each child installs the sandbox (device, seeds, plotting,
duration cap), runs the unmodified script with `runpy`, reads the monitors and writes
``OUT/seed-K/{meta.json, observables.npz, log.txt}``; a runtime device's seeds run in one child instead, after a
bit-identical rerun of the first (warm.py). A child that exceeds the per-seed timeout is killed with
its process group (make, the standalone binary). Standalone build folders come from plumbing/buildcache.py (locked for
the whole job, like the matrix's).

Outcome of a seed: ``ok``; ``built`` when the device only builds here (compiled, not run); ``skip`` when Brian
refuses the script on this device (a NotImplementedError anywhere in the exception chain, e.g. store/restore or
network_operation in standalone) or a Python module the script imports is not installed; ``error`` for anything
else (with the exception and the script line).
"""
from __future__ import annotations

import contextlib
import json
import os
import shutil
import sys
import time
import traceback

from brian2_harness.devices import get_device
from brian2_harness.plumbing import extcache
from brian2_harness.plumbing.buildcache import cached_build_dir

from . import branches, collect, inputs, waiting, warm, workdir
from .outcome import chain, classify, first_line, in_brian, in_plotting
from .sandbox import BuiltNotRun, Sandbox

_LOG: list[str] = []


def _flush_log() -> str | None:
    sys.stdout.flush()
    sys.stderr.flush()
    return _LOG[-1] if _LOG else None


class Run:
    """Where one run of the script writes (a standalone seed branch, branches.py, moves it to its own seed)."""

    def __init__(self, job: dict, seed: int, out: str):
        self.job, self.seed, self.out = job, seed, out
        self.original = os.path.abspath(job["script"])
        self.excluded = [x for x in (job["build_dir"], job["cython_dir"]) if x]
        os.makedirs(out, exist_ok=True)
        self.redirect()
        self.work = os.path.join(out, "cwd")
        self.script, self.before = workdir.prepare(self.original, self.work)     # a scratch copy of its folder
        os.chdir(self.work)
        self.opened = inputs.watch(os.path.dirname(self.original), [out] + self.excluded)
        self.copies = [(inputs.watch(self.work, self.excluded), self.work)]      # files read in the copy
        inputs.watch_reads(os.path.dirname(self.original), self.work)      # folders listed, env variables read
        sys.argv = [self.script] + list(job.get("args") or [])
        self.path = [self.work, os.path.dirname(self.original)]
        sys.path[:0] = self.path

    def undo(self, start: dict) -> None:
        """Before a later seed in this process (warm.py): no watching, sys.path and the script's modules as before
        this run."""
        inputs.unwatch()
        inputs.stop_reads()
        for entry in self.path:
            with contextlib.suppress(ValueError):
                sys.path.remove(entry)
        warm.forget_modules(start, [self.work, os.path.dirname(self.original)])

    def redirect(self) -> None:
        _LOG.append(os.path.join(self.out, "log.txt"))
        sys.stdout.flush()
        sys.stderr.flush()
        log = open(_LOG[-1], "w")
        os.dup2(log.fileno(), 1)
        os.dup2(log.fileno(), 2)

    def inputs_read(self) -> set:
        found = self.opened | inputs.imported_from(os.path.dirname(self.original)) | {os.path.realpath(self.original)}
        for opened, work in self.copies:
            found |= workdir.originals(opened | inputs.imported_from(work), work, self.original)
        return found


def run_seed(job: dict, seed: int, out: str, branch_seeds: list | None = None, again: Sandbox | None = None,
             extra: dict | None = None) -> tuple[Sandbox, Run, str]:
    """The child: run the script once and write what it produced (standalone: also once per seed of
    `branch_seeds`, from the one build, branches.py; `again`: the sandbox of this process's earlier run, warm.py).
    Returns (sandbox, run, status)."""
    run = Run(job, seed, out)
    sandbox = _sandbox(job, seed, out, run, branch_seeds) if again is None else _again(again, seed, out, run)
    t0 = time.perf_counter()
    status, reason, failure = _execute(sandbox, run.script)
    script_s = time.perf_counter() - t0
    status, reason = _reclassify(sandbox, status, reason, failure)
    status, reason = _finish(sandbox, run.script, status, reason)
    status, reason, observables, unmatched, available = _observe(sandbox, job.get("observe") or None, status, reason)
    meta = _meta(job, run, sandbox, status, reason, script_s, t0, unmatched, available)
    collect.save(run.out, observables, dict(meta, **(extra or {})))
    sys.stdout.flush()
    sys.stderr.flush()
    return sandbox, run, status


def _again(sandbox: Sandbox, seed: int, out: str, run: Run) -> Sandbox:
    """The process's sandbox, emptied for another run (its patches stay installed; install() resets Brian)."""
    sandbox.seed = seed
    sandbox.start_run()
    sandbox.counter_path = os.path.join(out, "run-calls")
    sandbox.run_ctx = run
    return sandbox


def _sandbox(job: dict, seed: int, out: str, run: Run, branch_seeds: list | None) -> Sandbox:
    """The sandbox for one run, configured from the job (not installed yet)."""
    sandbox = Sandbox(job["device"], seed, bool(job.get("stat")), job.get("cap"), job["build_dir"],
                      job["cython_dir"], build_only=bool(job.get("build_only")))
    sandbox.build_note = job.get("build_note") or ""
    sandbox.counter_path = os.path.join(out, "run-calls")
    sandbox.perturb = int(job.get("perturb") or 0)
    sandbox.run_ctx = run
    if branch_seeds:
        sandbox.before_binary = branches.forker(sandbox, list(branch_seeds), float(job.get("seed_timeout", 600)),
                                                waiting.wait, _write_failure)
    return sandbox


def _execute(sandbox: Sandbox, script: str) -> tuple[str, str, BaseException | None]:
    """Install the sandbox and run the script: (status, reason, the exception that ended it, if any)."""
    notes = sandbox.notes
    status, reason, failure = "ok", "", None
    try:
        sandbox.install()
        sandbox.snapshot_fn = lambda: collect.read_monitors(sandbox.monitors, None, notes)
        import runpy
        sandbox.namespace = runpy.run_path(script, run_name="__main__")
    except SystemExit as exc:
        if exc.code not in (None, 0):
            status, reason = "error", f"the script exited with status {exc.code}"
    except BaseException as exc:       # noqa: BLE001  (whatever the script raises becomes a verdict)
        failure = exc
        status, reason = classify(exc, script, _flush_log())
        traceback.print_exc()
        removed = extcache.repair(sandbox.cython_dir) if extcache.broken_import(exc, sandbox.cython_dir) else []
        if removed:
            return "error", (f"harness problem: {len(removed)} compiled module(s) in the Cython cache were "
                             f"incomplete (left by a run ended while building them), removed: run the check again "
                             f"(the run failed with {reason}; {removed[0]})"), failure
        if status == "error" and sandbox.run_calls and in_plotting(exc):
            notes.append(f"the script's plotting raised {reason} after its {sandbox.run_calls} run() call(s): "
                         f"the simulation results are compared")
            status, reason = "ok", ""
    return status, reason, failure


def _reclassify(sandbox: Sandbox, status: str, reason: str, failure) -> tuple[str, str]:
    """The outcome once the script has ended: built only, a script written for another device, or a
    post-processing failure after capped run() calls."""
    if sandbox.build_only and (sandbox.built or any(isinstance(e, BuiltNotRun) for e in chain(failure))):
        status, reason = "built", f"built, not run: {sandbox.build_note or 'build only'}"
    if status == "error" and sandbox.script_standalone and not sandbox.standalone:
        status, reason = "skip", (f"the script is written for {sandbox.script_standalone} (its own set_device) and "
                                  f"fails on {sandbox.device}: {reason}")
    if status == "error" and failure is not None and sandbox.capped and sandbox.run_calls and not in_brian(failure):
        sandbox.notes.append(f"the script raised {reason} after its run() calls, which --duration-cap had shortened "
                             f"(its post-processing assumes the full duration): the simulation results are compared")
        status, reason = "ok", ""
    return status, reason


def _finish(sandbox: Sandbox, script: str, status: str, reason: str) -> tuple[str, str]:
    """Finish the sandbox (a standalone build runs here) when the script ended well."""
    if status == "ok":
        try:
            sandbox.finish()
        except BaseException as exc:   # noqa: BLE001
            status, reason = classify(exc, script, _flush_log())
            traceback.print_exc()
        if status == "ok" and sandbox.build_only:
            status, reason = ("built", f"built, not run: {sandbox.build_note or 'build only'}") if sandbox.built \
                else ("skip", "the script runs no simulation (no run() call): nothing to build")
    return status, reason


def _observe(sandbox: Sandbox, observe, status: str, reason: str) -> tuple[str, str, dict, list, list]:
    """Read the results: (status, reason, observables, unmatched --observe patterns, available names)."""
    observables: dict = {}
    unmatched: list[str] = []
    available: list[str] = []
    if status == "ok":
        try:
            observables = collect.gather(sandbox, sandbox.notes)
            available = collect.available(observables, sandbox.namespace)
            if observe:
                observables, unmatched = collect.select(observables, observe, sandbox.namespace, sandbox.notes)
        except BaseException as exc:   # noqa: BLE001
            status, reason = "error", f"reading the results failed: {type(exc).__name__}: {first_line(exc)}"
            traceback.print_exc()
        if status == "ok" and not sandbox.runs_everywhere():
            status, reason = "skip", "the script runs no simulation (no run() call): nothing to compare"
    return status, reason, observables, unmatched, available


def _meta(job: dict, run: Run, sandbox: Sandbox, status: str, reason: str, script_s: float, t0: float,
          unmatched: list, available: list) -> dict:
    """meta.json of one run: the outcome, what the script did (files written and read, random sources, the
    random stream) and the notes."""
    notes = sandbox.notes
    reads = inputs.stop_reads()
    files = workdir.written(run.work, run.before)
    if files:
        notes.append(f"the script wrote {len(files)} file(s) into a scratch copy of its folder: "
                     + ", ".join(files[:8]) + (" ..." if len(files) > 8 else ""))
    if sandbox.capped:
        notes.append(f"{sandbox.capped} run() call(s) capped to {job['cap'] * 1e3:g} ms")
    try:
        import brian2
        dt = float(brian2.defaultclock.dt_)
    except Exception:
        dt = None
    return dict(device=job["device"], seed=run.seed, status=status, reason=reason, notes=notes,
                random_sources=sandbox.all_random_sources(), run_calls=sandbox.runs_everywhere(),
                t_end=sandbox.t_end_everywhere(),
                dt=dt, timers=sandbox.timers, script_seconds=script_s, seconds=time.perf_counter() - t0,
                script_seeded=bool(getattr(sandbox, "script_seeded", False)),
                stream=sandbox.recorder.result(job["device"]) if sandbox.recorder else None,
                perturbed=sandbox.perturbed, log=_LOG[-1], script=run.original, script_copy=run.script,
                written=files, observe_unmatched=unmatched, available=available, reads=reads,
                inputs=sorted(run.inputs_read()))


def _write_failure(out: str, job: dict, seed: int, status: str, reason: str, seconds: float) -> None:
    with contextlib.suppress(Exception):
        if os.path.exists(os.path.join(out, "meta.json")):
            with open(os.path.join(out, "meta.json")) as f:
                if json.load(f).get("status"):
                    return
    collect.save(out, {}, dict(device=job["device"], seed=seed, status=status, reason=reason, notes=[],
                               random_sources=[], run_calls=0, t_end=0.0, dt=None, timers={},
                               script_seconds=seconds, seconds=seconds))


@contextlib.contextmanager
def _build_folder(job: dict):
    """The job's standalone build folder (plumbing/buildcache.py: locked, warm across runs); None for runtime
    devices."""
    if not get_device(job["device"]).standalone:
        yield None
        return
    with cached_build_dir(job["build_cache"], job["build_label"], job["build_key"]) as (folder, _warm):
        yield folder


def _fork(work) -> int:
    """`work()` in a forked child of its own process group, which exits with 0 (3 if `work` raised): its pid."""
    sys.stdout.flush()
    pid = os.fork()
    if pid == 0:
        code = 0
        try:
            os.setpgid(0, 0)
            work()
        except BaseException:    # noqa: BLE001
            traceback.print_exc()
            code = 3
        finally:
            os._exit(code)
    return pid


def _run_child(job: dict, seed: int, out: str, branch: list) -> None:
    """One seed in a forked child of its own process group (and, standalone, the seeds of `branch` from its
    build), waited for at most the per-seed timeout (times the seeds it runs)."""
    started = time.time()
    pid = _fork(lambda: run_seed(job, seed, out, branch))
    status, seconds = waiting.wait(pid, float(job.get("seed_timeout", 600)) * (1 + len(branch)))
    if status != 0:             # killed or died, maybe while linking a Cython module into the shared cache
        extcache.repair(job["cython_dir"], since=started)
    if status is None:
        _write_failure(out, job, seed, "error", f"timed out after {seconds:.0f} s (the limit per run: "
                       f"--timeout)", seconds)
    elif status != 0:
        why = f"signal {os.WTERMSIG(status)}" if os.WIFSIGNALED(status) else f"status {os.WEXITSTATUS(status)}"
        _write_failure(out, job, seed, "error", f"the device process died ({why}); see log.txt", seconds)


def _warm_seeds(job: dict, seeds: list) -> None:
    """In one child (warm.py): the first seed as in a fresh child, it again, and only if both runs are the same bit
    for bit, every later seed; a seed that does not end well or whose observables are named otherwise than the
    first's is left to a fresh process, with every seed after it."""
    first = os.path.join(job["out_dir"], f"seed-{seeds[0]}")
    sandbox, run, status = run_seed(job, seeds[0], first)
    if status != "ok":
        return
    rerun = os.path.join(job["out_dir"], "warm-rerun")
    run.undo(sandbox.initial)
    sandbox, run, _ = run_seed(job, seeds[0], rerun, again=sandbox)
    why = warm.differs(collect.load(first), collect.load(rerun))
    if why:
        warm.note_fallback(first, "the seeds after the first",
                           f"the first seed run twice in one process differed ({why}): the script keeps state "
                           f"between runs")
        return
    shutil.rmtree(rerun, ignore_errors=True)
    names = sorted(collect.load(first)[0])
    for seed in seeds[1:]:
        if waiting.stopped(job["out_dir"], seed):
            continue
        out = os.path.join(job["out_dir"], f"seed-{seed}")
        run.undo(sandbox.initial)
        sandbox, run, status = run_seed(job, seed, out, again=sandbox, extra=dict(warm_after=seeds[0]))
        why = f"seed {seed} ended {status}" if status != "ok" else \
            f"seed {seed}'s observables were named otherwise" if sorted(collect.load(out)[0]) != names else ""
        if why:        # left to a fresh process: what it says there is the seed's result
            os.rename(out, f"{out}-warm")
            warm.note_fallback(first, f"seed {seed} and the seeds after it", f"{why} there")
            return


def _run_warm(job: dict, seeds: list) -> None:
    """The seeds in one child (warm.py), each run in it given the per-seed timeout (waiting.wait_progress); what it
    leaves unwritten runs in fresh children after it. A later seed that timed out there is left to a fresh child
    too (its partial folder set aside), like any later seed that does not end well in the warm process."""
    started = time.time()
    pid = _fork(lambda: _warm_seeds(job, seeds))
    timeout = float(job.get("seed_timeout", 600))
    status, seconds = waiting.wait_progress(pid, timeout, lambda: waiting.finished_runs(job["out_dir"]))
    if status is not None:
        return
    extcache.repair(job["cython_dir"], since=started)
    first = os.path.join(job["out_dir"], f"seed-{seeds[0]}")
    if not os.path.exists(os.path.join(first, "meta.json")):        # the first run itself: a timeout, as before
        _write_failure(first, job, seeds[0], "error", f"timed out after {timeout:.0f} s (the limit per run: "
                       f"--timeout)", timeout)
        return
    running = next((s for s in seeds[1:] if os.path.isdir(os.path.join(job["out_dir"], f"seed-{s}"))
                    and not os.path.exists(os.path.join(job["out_dir"], f"seed-{s}", "meta.json"))), None)
    if running is not None:
        out = os.path.join(job["out_dir"], f"seed-{running}")
        os.rename(out, f"{out}-warm")
    which = f"seed {running} and the seeds after it" if running is not None else "the seeds after the first"
    warm.note_fallback(first, which, f"a run there took longer than the per-run limit ({timeout:.0f} s)")


def main(argv: list[str]) -> int:
    with open(argv[0]) as f:
        job = json.load(f)
    os.environ["MPLBACKEND"] = "Agg"
    with contextlib.suppress(ImportError):
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot  # noqa: F401
    import brian2  # noqa: F401  (imported once; every seed's child starts from here)
    with _build_folder(job) as folder:     # plumbing/buildcache.py: locked, a planted symlink removed (nofollow.py)
        job["build_dir"] = folder
        seeds = list(job["seeds"])
        if warm.wanted(job, bool(folder)):
            _run_warm(job, seeds)         # what it leaves unwritten runs below, one fresh child per seed
        for k, seed in enumerate(seeds):
            if waiting.stopped(job["out_dir"], seed):
                continue
            out = os.path.join(job["out_dir"], f"seed-{seed}")
            if os.path.exists(os.path.join(out, "meta.json")):
                continue        # written by a branch of an earlier seed's standalone run (branches.py)
            branch = branches.seeds_to_branch(job, seeds[k + 1:]) if k == 0 else []
            _run_child(job, seed, out, branch)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
