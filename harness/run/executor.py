"""Execute a planned run: every job in a worker process (run/worker.py, long-lived ones from run/pool.py), in
parallel within the slot budget
(run/slots.py); interrupts kill the workers and keep what finished. Then judge (run/judge.py) and re-run failing
cases alone (run/isolate.py).
"""
from __future__ import annotations

import json
import os
import queue
import shutil
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np

from brian2_harness.cells.verdict import FAIL, PASS, Verdict
from brian2_harness.devices import BUILD, Probe, get_device
from brian2_harness.devices.cpu import cython_cache
from brian2_harness.plumbing import extcache
from brian2_harness.run import pool, slots
from brian2_harness.run.config import REFERENCE_DEVICE, RunConfig
from brian2_harness.run.dispatch import Dispatcher, family
from brian2_harness.run.isolate import isolate_failures
from brian2_harness.run.judge import OracleCache, judge
from brian2_harness.run.planner import Job, plan
from brian2_harness.variant_sources import load_all


@dataclass
class RunResult:
    verdicts: list[Verdict]
    probes: dict[str, Probe]
    jobs: list[Job]
    interrupted: bool = False
    seconds: float = 0.0
    phases: dict = field(default_factory=dict)    # where the parent's time went (run --profile)
    plan: list[Job] = field(default_factory=list)  # every planned job (a shard or resumed run ran part of them)

    def cache_summary(self) -> dict:
        """Standalone builds: how many compiled, how many reused a warm folder without compiling."""
        used = [j.cache for j in self.jobs if j.cache.get("used")]
        compiles = sum(1 for j in self.jobs if j.cache.get("compiled") or
                       (not j.cache.get("used") and get_device(j.device).standalone and j.error == ""))
        return {"standalone_jobs": sum(1 for j in self.jobs if get_device(j.device).standalone),
                "compiles": compiles,
                "hits": sum(1 for c in used if c.get("warm") and not c.get("compiled")),
                "misses": sum(1 for c in used if not c.get("warm") or c.get("compiled"))}

    def missing_required(self, require: set[str]) -> list[str]:
        ran = {v.device for v in self.verdicts if v.verdict in (PASS, FAIL)}
        return sorted(d for d in require if d not in ran)


_ABORT = threading.Event()


def _runner(dispatcher: Dispatcher, config: RunConfig, results: "queue.Queue") -> None:
    """One runner thread: jobs from the dispatcher, one at a time, until none is left."""
    while (job := dispatcher.take()) is not None:
        try:
            _run_job(job, config)
        finally:
            dispatcher.done(job)
            results.put(job)


def _run_job(job: Job, config: RunConfig) -> Job:
    """Run one job in a worker process; any failure becomes `job.error`, never an exception."""
    with slots.held(job.device, config.jobs):   # OpenMP threads + other workers <= max(cores, jobs): slots.py
        return _run_job_in_slots(job, config)


def _run_job_in_slots(job: Job, config: RunConfig) -> Job:
    if _ABORT.is_set():
        job.error = "not run: interrupted"
        return job
    builds = config.cache_dir / "builds"
    try:
        builds.mkdir(parents=True, exist_ok=True)
        work = tempfile.mkdtemp(prefix=f"{job.variant.name}-{job.device}-{job.dtype}-b{job.batch}-", dir=builds)
    except OSError as exc:
        job.error = f"cannot create a build folder under {builds}: {exc.strerror or exc}"
        return job
    try:
        return _run_in(work, job, config)
    except Exception as exc:   # a harness-side failure stays in its cell
        job.error = f"harness error while running the cell: {type(exc).__name__}: {exc}"
        job.arrays = None
        return job


def _run_in(work: str, job: Job, config: RunConfig) -> Job:
    out = os.path.join(work, "observables.npz")
    spec = {
        "variant": job.variant.name, "device": job.device, "dtype": job.dtype,
        "cases": [c.to_dict() for c in job.cases], "plugins": list(config.plugins),
        "build_dir": os.path.join(work, "build"), "cache_dir": str(config.cache_dir), "out": out,
        "compiled_dir": str(config.compiled_dir or config.cache_dir),
        "mode": job.mode, "cache": config.use_cache,
    }
    job_file = os.path.join(work, "job.json")
    job.log = os.path.join(work, "worker.log")
    spec["log"] = job.log
    with open(job_file, "w") as f:
        json.dump(spec, f)
    open(job.log, "w").close()
    t0 = time.perf_counter()
    reuse = pool.reuse_enabled(config.reuse_workers) and get_device(job.device).reusable_process
    worker = pool.POOL.acquire(pool.worker_cmd(), _worker_env(), config.plugins, job.device, fresh=not reuse)
    rc = None
    try:
        if _ABORT.is_set():
            job.error = "not run: interrupted"
        else:
            started = time.time()
            rc = worker.submit(job_file, config.timeout)
            if rc is None:
                job.error = f"timed out after {config.timeout:g} s (per-cell timeout, --timeout)"
                extcache.repair(cython_cache(spec["compiled_dir"]), since=started)   # a module it was linking
            elif _ABORT.is_set() and rc < 0:
                job.error, rc = "interrupted while running", None
    finally:
        pool.POOL.release(worker, reuse and rc == 0)
    job.seconds = time.perf_counter() - t0
    if rc is None:
        pass
    elif os.path.exists(out):
        with np.load(out) as z:
            job.arrays = {k: z[k] for k in z.files}
        try:
            with open(out + ".meta.json") as f:
                meta = json.load(f)
            job.timing = meta.get("timing", {})
            job.cache = meta.get("cache", {})
            job.built = bool(meta.get("built")) and job.mode == BUILD
            job.workarounds = meta.get("workarounds", [])
        except OSError:
            pass
    elif os.path.exists(out + ".error.json"):
        with open(out + ".error.json") as f:
            err = json.load(f)
        job.error = f"{err['error_type']}: {err['message']}".strip()
    else:
        sig = f" (killed by signal {-rc})" if rc < 0 else f" (exit code {rc})"
        job.error = "worker process crashed" + sig + " without writing a result"
    if job.arrays is not None and not config.keep_builds:
        shutil.rmtree(os.path.join(work, "build"), ignore_errors=True)
    return job


def _quietly(fn, *args) -> None:
    """A background precomputation: a failure here is raised again (and reported) where the result is used."""
    try:
        fn(*args)
    except Exception:
        pass


def _worker_env() -> dict:
    env = dict(os.environ)
    env.setdefault("PYTHONHASHSEED", "0")   # reproducible code generation (build cache)
    return env


def run_one(job: Job, config: RunConfig) -> Job:
    """Run one job here (the Dask task of run/cluster_task.py calls this on its worker)."""
    return _run_job(job, config)


def run_local(jobs: list[Job], config: RunConfig, progress=None) -> tuple[list[Job], bool]:
    """Every job in a worker process of this machine; (finished jobs, interrupted)."""
    done: list[Job] = []
    interrupted = False
    _ABORT.clear()
    dispatcher = Dispatcher(jobs, {id(j): family(j, config.use_cache, get_device(j.device).standalone)
                                   for j in jobs}, _ABORT)
    results: queue.Queue = queue.Queue()
    threads = ThreadPoolExecutor(max_workers=config.jobs)
    try:
        runners = [threads.submit(_runner, dispatcher, config, results) for _ in range(max(1, config.jobs))]
        if progress:
            progress.start(len(jobs))
        while len(done) < len(jobs):
            try:
                job = results.get(timeout=0.2)
            except queue.Empty:
                if all(r.done() for r in runners) and results.empty():
                    for r in runners:
                        r.result()          # a runner that died raises here
                    break
                continue
            done.append(job)
            if progress:
                progress.advance(job)
    except KeyboardInterrupt:
        interrupted = True
        _ABORT.set()
        pool.POOL.kill_busy()
    finally:
        threads.shutdown(wait=True, cancel_futures=True)
        while not results.empty():          # jobs that ended while the run was being interrupted
            job = results.get()
            if all(job is not d for d in done):
                done.append(job)
        if progress:
            progress.stop()
    return done, interrupted


def execute(config: RunConfig, progress=None, backend=None, subset=None) -> RunResult:
    """Run every planned job (in parallel processes) and judge the results.

    `backend`: runs the jobs elsewhere (run/cluster.py: `run_all(jobs, config, progress)` and `run_one`);
    `subset`: runs and reports only part of the plan (run/subset.py: a shard, or what a resumed run still lacks)."""
    t0 = time.perf_counter()
    load_all(config.plugins)      # idempotent: built-ins, entry points, plugin files
    probes = {}
    for d in set(config.devices) | ({REFERENCE_DEVICE}):
        probes[d] = get_device(d).probe()
    jobs, skipped = plan(config, probes)
    planned = list(jobs)
    if subset is not None:
        jobs, skipped = subset.select(jobs, skipped)
    t_plan, started = time.perf_counter(), pool.POOL.started
    oracles = OracleCache()        # computed while the workers run, so judging does not wait for it
    prefill = threading.Thread(target=_quietly, args=(oracles.prefill, jobs, config), daemon=True)
    prefill.start()
    done, interrupted = (backend.run_all if backend else run_local)(jobs, config, progress)
    finished = {id(j) for j in done}
    for j in jobs:                       # cells that never finished are reported, not dropped
        if id(j) not in finished:
            j.error = j.error or "not run: interrupted"
            done.append(j)
    order = {id(j): k for k, j in enumerate(jobs)}
    done.sort(key=lambda j: order[id(j)])
    t_judge = time.perf_counter()
    prefill.join()
    verdicts = judge(done, config, oracles) + skipped
    t_isolate = time.perf_counter()
    if not interrupted and config.isolate_failures:
        isolate_failures(verdicts, done, config, backend.run_one if backend else _run_job)
    if subset is not None:
        verdicts, done = subset.own(verdicts, done)
    t_end = time.perf_counter()
    return RunResult(verdicts=verdicts, probes=probes, jobs=done, interrupted=interrupted, seconds=t_end - t0,
                     phases={"probe_and_plan_s": t_plan - t0, "jobs_s": t_judge - t_plan,
                             "judge_s": t_isolate - t_judge, "isolate_s": t_end - t_isolate,
                             "processes_started": pool.POOL.started - started}, plan=planned)
