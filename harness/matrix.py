"""Plan and execute the verification matrix: variant x device x dtype x case.

Data flows one way: cases -> (batched) worker runs per (variant, device, dtype) -> observables ->
comparison with the oracle of the claimed semantics and with a reference device -> one `Verdict` per cell.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .case import Case, default_case
from .compare import Comparison, compare_arrays, compare_growth
from .devices import BUILD, RUN, Probe, get_device
from .family import get_family
from .observed import compact_observed
from .registry import Variant, get, load_all
from .replay import replay_command
from . import slots
from .verdict import BUILT, ERROR, FAIL, PASS, SKIP, Verdict

REFERENCE_DEVICE = "numpy"
BUILT_REASON = "built, not run: no GPU"


def default_cache_dir() -> Path:
    env = os.environ.get("BRIAN2_HARNESS_CACHE")
    if env:
        return Path(env)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "brian2-harness"


@dataclass
class RunConfig:
    variants: list[str]
    devices: list[str]
    dtypes: list[str]
    cases: list[Case]
    require: set[str] = field(default_factory=set)
    plugins: list[str] = field(default_factory=list)
    against: str | None = None       # check every variant against this oracle schedule instead of its claim
    timeout: float = 900.0           # seconds per worker process
    jobs: int = max(1, min(os.cpu_count() or 1, 4))
    cache_dir: Path = field(default_factory=default_cache_dir)
    keep_builds: bool = False
    use_cache: bool = True           # reuse standalone build folders (see buildcache.py)
    meta_cases: list = field(default_factory=list)   # cases of the metaplastic family
    isolate_failures: int = 3        # failing cases of a batch re-run alone, per (variant, device, dtype)
    require_lag_visible: bool = False  # a cell that cannot see a one-step lag fails

    def cases_for(self, family: str) -> list:
        if family == "metaplastic":
            return self.meta_cases or [get_family("metaplastic").default_case()]
        return self.cases


@dataclass
class Job:
    variant: Variant
    device: str
    dtype: str
    cases: list[Case]
    case_ids: list[str]
    batch: int
    label: str = ""
    mode: str = RUN                  # BUILD: the worker compiles the project and does not run it
    # filled in by execution
    arrays: dict | None = None
    error: str = ""
    log: str = ""
    seconds: float = 0.0
    timing: dict = field(default_factory=dict)
    built: bool = False              # a BUILD-mode job that compiled
    workarounds: list = field(default_factory=list)
    cache: dict = field(default_factory=dict)   # standalone build cache: used / warm / compiled


@dataclass
class RunResult:
    verdicts: list[Verdict]
    probes: dict[str, Probe]
    jobs: list[Job]
    interrupted: bool = False
    seconds: float = 0.0

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


def case_ids(cases: list[Case]) -> list[str]:
    return [c.name or f"case{k:04d}" for k, c in enumerate(cases)]


def _worker_cmd(job_file: str) -> list[str]:
    return [sys.executable, "-m", "brian2_harness.worker", job_file]


_LIVE: set = set()                  # worker processes running now (killed on interrupt)
_LIVE_LOCK = threading.Lock()
_ABORT = threading.Event()


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
        "mode": job.mode, "cache": config.use_cache,
    }
    job_file = os.path.join(work, "job.json")
    with open(job_file, "w") as f:
        json.dump(spec, f)
    job.log = os.path.join(work, "worker.log")
    t0 = time.perf_counter()
    with open(job.log, "w") as log:
        proc = subprocess.Popen(_worker_cmd(job_file), stdout=log, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, start_new_session=True, env=_worker_env())
        with _LIVE_LOCK:
            _LIVE.add(proc)
        try:
            rc = proc.wait(timeout=config.timeout)
        except subprocess.TimeoutExpired:
            _kill(proc)
            job.error = f"timed out after {config.timeout:g} s (per-cell timeout, --timeout)"
            rc = None
        except BaseException:
            _kill(proc)
            raise
        finally:
            with _LIVE_LOCK:
                _LIVE.discard(proc)
        if _ABORT.is_set() and rc is not None and rc < 0:
            job.error, rc = "interrupted while running", None
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


def _worker_env() -> dict:
    env = dict(os.environ)
    env.setdefault("PYTHONHASHSEED", "0")   # reproducible code generation (build cache)
    return env


def _kill(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, 9)
    except (ProcessLookupError, PermissionError):
        proc.kill()
    proc.wait()


def plan(config: RunConfig, probes: dict[str, Probe]) -> tuple[list[Job], list[Verdict]]:
    """Jobs to run and the cells that are skipped up front (with their reasons)."""
    jobs, skipped = [], []
    for vname in config.variants:
        v = get(vname)
        if v.family == "custom":
            cases, cids, key_of = [default_case()], ["model"], (lambda c: c.schedule_key)
        else:
            cases = config.cases_for(v.family)
            cids, key_of = case_ids(cases), get_family(v.family).batch_key
        needs_reference = (config.against or v.semantics) is None
        devices = list(config.devices)
        if needs_reference and REFERENCE_DEVICE not in devices:
            devices.insert(0, REFERENCE_DEVICE)   # the reference every other device is compared with
        for dname in devices:
            dtypes = list(config.dtypes)
            if needs_reference and dname == REFERENCE_DEVICE and "float64" not in dtypes:
                dtypes.insert(0, "float64")
            for dtype in dtypes:
                reason = ""
                if not v.supports(dname):
                    reason = f"variant '{v.name}' declares it does not support {dname}"
                elif probes[dname].mode != RUN and not (probes[dname].mode == BUILD
                                                        and get_device(dname).supports_build_only):
                    reason = f"device {dname} unavailable: {probes[dname].reason}"
                if reason:
                    skipped += [Verdict(v.name, dname, dtype, cid, SKIP, reason=reason) for cid in cids]
                    continue
                by_key: dict[tuple, list[int]] = {}
                for k, c in enumerate(cases):
                    by_key.setdefault(key_of(c.replace(dtype=dtype)), []).append(k)
                for b, idx in enumerate(by_key.values()):
                    jobs.append(Job(v, dname, dtype, [cases[k].replace(dtype=dtype) for k in idx],
                                    [cids[k] for k in idx], b,
                                    label=f"{v.name} x {dname} x {dtype} (batch {b + 1}/{len(by_key)}, "
                                          f"{len(idx)} cases)" + (", build only" if probes[dname].mode == BUILD else ""),
                                    mode=probes[dname].mode))
    return jobs, skipped


class _OracleCache:
    """One oracle simulation per (family, batch of cases, semantics), shared by every device."""

    def __init__(self):
        self._memo: dict = {}

    def get(self, family: str, cases: list, semantics: str) -> list:
        key = (family, tuple(cases), semantics)
        if key not in self._memo:
            self._memo[key] = get_family(family).oracle(cases, semantics)
        return self._memo[key]


def _observables(job: Job) -> list:
    if job.variant.family == "custom":
        return [job.arrays]
    return get_family(job.variant.family).split(job.cases, job.arrays)


def _verdict(job: Job, cid: str, cmp: Comparison, reference: str) -> Verdict:
    return Verdict(job.variant.name, job.device, job.dtype, cid, PASS if cmp.ok else FAIL,
                   reference=reference, max_abs_err=cmp.max_abs_err, max_rel_err=cmp.max_rel_err,
                   tolerance=cmp.tolerance, boundary=cmp.boundary, reason=cmp.reason, log=job.log if not cmp.ok else "",
                   detection_limit=cmp.detection_limit, lag_visible=cmp.lag_visible, judged=cmp.judged,
                   ratio=cmp.ratio)


LAG_BLIND = "cannot see a one-step lag"


def apply_lag_policy(v: Verdict, require_visible: bool) -> None:
    """A cell that cannot see a one-step lag says so; with `require_visible` that is a failure."""
    if v.lag_visible is not False or v.verdict not in (PASS, FAIL):
        return
    note = (f"{LAG_BLIND}: |g|*dt is below the bound of some neuron (detection limit up to "
            f"{v.detection_limit['max']:.3g})" if v.detection_limit else LAG_BLIND)
    v.extra["lag_note"] = note
    if require_visible and v.verdict == PASS:
        v.verdict, v.reason = FAIL, f"{note} (--require-lag-visible)"


def judge(jobs: list[Job], config: RunConfig) -> list[Verdict]:
    """Turn finished jobs into verdicts.

    Variants with semantics: each cell against the oracle, then against the reference device (numpy,
    same dtype) so that devices are also checked with each other. Variants without semantics: each cell
    against numpy/float64 with the per-step bound; the reference cell passes only if others agree with it.
    """
    oracles = _OracleCache()
    verdicts: list[Verdict] = []
    seen: dict[tuple, dict[tuple, tuple]] = {}   # (variant, case id) -> (device, dtype) -> (job, observables)
    for job in jobs:
        if job.built:   # BUILD mode: compiled, nothing to compare; never a pass
            extra = {k: round(job.timing[k], 3) for k in ("build_s", "compile_s", "compile_cpu_s") if k in job.timing}
            verdicts += [Verdict(job.variant.name, job.device, job.dtype, cid, BUILT, reason=BUILT_REASON,
                                 extra=dict(extra)) for cid in job.case_ids]
            continue
        if job.arrays is None or job.mode == BUILD:
            verdicts += [Verdict(job.variant.name, job.device, job.dtype, cid, ERROR,
                                 reason=job.error or "did not run", log=job.log) for cid in job.case_ids]
            continue
        obs = _observables(job)
        for cid, o in zip(job.case_ids, obs):
            seen.setdefault((job.variant.name, cid), {})[(job.device, job.dtype)] = (job, o)

    for (vname, cid), cells in seen.items():
        variant = get(vname)
        schedule = config.against or variant.semantics
        if schedule is not None:
            verdicts += _judge_with_oracle(cells, cid, schedule, oracles)
        else:
            verdicts += _judge_against_reference(cells, cid)
    for v in verdicts:
        apply_lag_policy(v, config.require_lag_visible)
    return verdicts


def _judge_with_oracle(cells: dict, cid: str, schedule: str, oracles: "_OracleCache") -> list[Verdict]:
    out = []
    for (dev, dtype), (job, obs) in cells.items():
        k = job.case_ids.index(cid)
        case = job.cases[k]
        family = get_family(job.variant.family)
        ref = oracles.get(family.name, job.cases, schedule)[k]
        arithmetic = get_device(dev).arithmetic
        cmp = family.compare(obs, ref, case, dtype, arithmetic=arithmetic)
        v = _verdict(job, cid, cmp, f"oracle:{schedule}")
        peer = cells.get((REFERENCE_DEVICE, dtype))
        if peer is not None and dev != REFERENCE_DEVICE:
            cross = family.compare(obs, peer[1], case, dtype, oracle=ref, arithmetic=arithmetic)
            v.extra["vs_numpy_max_abs_err"] = cross.max_abs_err
            if not cross.ok and v.verdict == PASS:
                v.verdict, v.reason, v.log = FAIL, f"disagrees with {REFERENCE_DEVICE}: {cross.reason}", job.log
                v.reference = f"device:{REFERENCE_DEVICE}/{dtype}"
        if v.verdict != PASS:
            v.extra["case"] = case.to_dict()
            if family.name == "growth":
                v.extra["observed"] = compact_observed(obs, ref, cmp.tolerance)
        out.append(v)
    return out


def _judge_against_reference(cells: dict, cid: str) -> list[Verdict]:
    ref_key = (REFERENCE_DEVICE, "float64")
    if ref_key not in cells:
        return [Verdict(job.variant.name, dev, dtype, cid, ERROR, reason="reference numpy/float64 did not run")
                for (dev, dtype), (job, _) in cells.items()]
    ref_job, ref = cells[ref_key]
    out, agree = [], []
    for (dev, dtype), (job, obs) in cells.items():
        if (dev, dtype) == ref_key:
            continue
        n_steps = job.cases[0].n_steps
        if job.variant.family == "growth":
            cmp = compare_growth(obs, ref, dtype=dtype, n_steps=n_steps)
        else:
            as_dict = (lambda o: o if isinstance(o, dict) else o.arrays())
            cmp = compare_arrays(as_dict(obs), as_dict(ref), dtype=dtype, n_steps=n_steps)
        out.append(_verdict(job, cid, cmp, "device:numpy/float64"))
        agree.append(cmp.ok)
    if not agree:
        rv = Verdict(ref_job.variant.name, *ref_key, cid, SKIP, reference="(reference)",
                     reason="reference device only: no other device to compare with")
    elif all(agree):
        rv = Verdict(ref_job.variant.name, *ref_key, cid, PASS, reference="(reference)",
                     reason=f"{len(agree)} other cell(s) agree with this reference")
    else:
        rv = Verdict(ref_job.variant.name, *ref_key, cid, FAIL, reference="(reference)",
                     reason=f"{agree.count(False)} other cell(s) disagree with this reference", log=ref_job.log)
    return [rv] + out


def execute(config: RunConfig, progress=None) -> RunResult:
    """Run every planned job (in parallel processes) and judge the results."""
    t0 = time.perf_counter()
    load_all(config.plugins)      # idempotent: built-ins, entry points, plugin files
    probes = {}
    for d in set(config.devices) | ({REFERENCE_DEVICE}):
        probes[d] = get_device(d).probe()
    jobs, skipped = plan(config, probes)
    done: list[Job] = []
    interrupted = False
    _ABORT.clear()
    futures = {}
    pool = ThreadPoolExecutor(max_workers=config.jobs)
    try:
        futures = {pool.submit(_run_job, j, config): j for j in jobs}
        if progress:
            progress.start(len(jobs))
        for fut in as_completed(futures):
            job = fut.result()
            done.append(job)
            if progress:
                progress.advance(job)
    except KeyboardInterrupt:
        interrupted = True
        _ABORT.set()
        for f in futures:
            f.cancel()
        with _LIVE_LOCK:
            for proc in list(_LIVE):
                _kill(proc)
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
        if progress:
            progress.stop()
    finished = {id(j) for j in done}
    for j in jobs:                       # cells that never finished are reported, not dropped
        if id(j) not in finished:
            j.error = j.error or "not run: interrupted"
            done.append(j)
    order = {id(j): k for k, j in enumerate(jobs)}
    done.sort(key=lambda j: order[id(j)])
    verdicts = judge(done, config) + skipped
    if not interrupted and config.isolate_failures:
        isolate_failures(verdicts, done, config)
    return RunResult(verdicts=verdicts, probes=probes, jobs=done, interrupted=interrupted,
                     seconds=time.perf_counter() - t0)


def isolate_failures(verdicts: list[Verdict], jobs: list[Job], config: RunConfig) -> None:
    """Re-run failing cases of multi-case batches alone, so each failure is a minimal reproducible case.

    The alone run keeps the comparison that failed: a cell that failed against its numpy peer is re-run
    together with that peer, alone too. The alone verdict goes to `extra['alone']`; a case that fails only inside
    a batch says so in its reason (that would be a packing bug, not a model difference). Every failing cell
    gets a replay command carrying what the verdict depended on (replay.py).
    """
    job_of = {(j.variant.name, j.device, j.dtype, cid): j for j in jobs for cid in j.case_ids}
    picked: dict[tuple, list[Verdict]] = {}
    smallest_first = sorted(verdicts, key=lambda v: len((v.extra.get("case") or {}).get("i", ())))
    for v in smallest_first:
        if v.verdict == FAIL and v.extra.get("case"):
            job = job_of.get((v.variant, v.device, v.dtype, v.case_id))
            if job is not None and len(job.cases) > 1:
                group = picked.setdefault((v.variant, v.device, v.dtype), [])
                if len(group) < config.isolate_failures:
                    group.append(v)
    alone_jobs: list[tuple[Verdict | None, Job]] = []
    for (variant, device, dtype), vs in picked.items():
        for v in vs:
            job = job_of[(variant, device, dtype, v.case_id)]
            case = job.cases[job.case_ids.index(v.case_id)]
            alone_jobs.append((v, Job(job.variant, device, dtype, [case], [v.case_id], 0,
                                      label=f"{variant} x {device} x {dtype}: {v.case_id} alone")))
            peer_dtype = _peer_dtype(v)
            if peer_dtype:   # the peer runs alone too, so the same comparison is made
                peer = job_of.get((variant, REFERENCE_DEVICE, peer_dtype, v.case_id))
                if peer is not None:
                    alone_jobs.append((None, Job(peer.variant, REFERENCE_DEVICE, peer_dtype,
                                                 [peer.cases[peer.case_ids.index(v.case_id)]], [v.case_id], 1,
                                                 label=f"{variant} x {REFERENCE_DEVICE} x {peer_dtype}: "
                                                       f"{v.case_id} alone")))
    if alone_jobs:
        with ThreadPoolExecutor(max_workers=config.jobs) as pool:
            finished = list(pool.map(lambda pair: _run_job(pair[1], config), alone_jobs))
        alone_verdicts = {(a.variant, a.device, a.dtype, a.case_id): a for a in judge(finished, config)}
        for v, job in alone_jobs:
            if v is None:
                continue
            a = alone_verdicts.get((v.variant, v.device, v.dtype, v.case_id))
            v.extra["alone"] = a.verdict if a else "error"
            v.extra["alone_reference"] = a.reference if a else ""
            if a and a.verdict == PASS:
                v.reason = f"fails only inside a batch (passes alone against {a.reference}): {v.reason}"
    for v in verdicts:
        if v.verdict == FAIL and v.extra.get("case"):
            v.extra["replay"] = replay_command(variant=v.variant, device=v.device, dtype=v.dtype,
                                               against=config.against, plugins=config.plugins,
                                               peer=bool(_peer_dtype(v)))


def _peer_dtype(v: Verdict) -> str:
    """The dtype of the numpy cell this cell failed against, or "" when it failed against the oracle."""
    prefix = f"device:{REFERENCE_DEVICE}/"
    if v.device != REFERENCE_DEVICE and v.reference.startswith(prefix):
        return v.reference[len(prefix):]
    return ""
