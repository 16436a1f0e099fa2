"""`check(script, devices, ...)`: run a script on each device and judge every device against the reference.

Modes: ``exact`` (one run per device, same seed, `exact.py`); ``stat`` (K seeds per device, `stats.py`);
``auto`` (default): one exact run per device first; when generated code draws random numbers (rand, randn,
PoissonGroup/PoissonInput, stochastic equations, random connect) every device is then judged statistically
(K seeds each), and the report says that random streams are why exact comparison cannot apply (or that the
single runs agreed exactly because the devices happened to share the stream).

Seeds: the exact run uses `seed` on every device (the same numpy stream; Brian's C++ generator seeded alike).
In statistical mode each device draws its own seeds, so the samples are independent: the reference
seed .. seed+K-1, the d-th other device seed + 1000·d + (0 .. K-1). The reference's exact run is reused as its
first sample when the script does not seed itself.

Verdicts per device: ``agree`` (exact), ``agree_stat``, ``fail``, ``skip`` (Brian refuses the script there, or the
device is unavailable; with the reason), ``built`` (the device can only build here, e.g. cuda_standalone without a
GPU: compiled, nothing compared, never an agreement), ``error`` (anything else, with the reason), ``reference``.
Overall: fail > error > agree_stat > agree; ``built`` when no device was compared but one was built; ``skip`` when
fewer than two devices ran.
"""
from __future__ import annotations

import os
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import UsageError
from ..plumbing import processes
from . import exact, pairs, sequential, stats
from . import floor as noise
from .script import BUILT, DEFAULT_DEVICES, ERROR, OK, SKIP, DeviceRun, run_device

AGREE, AGREE_STAT, FAIL, REFERENCE = "agree", "agree_stat", "fail", "reference"
LABEL = {AGREE: "agree exactly", AGREE_STAT: "agree statistically", FAIL: "fail", SKIP: "skipped", ERROR: "error",
         REFERENCE: "reference", BUILT: "built, not run"}


@dataclass
class DeviceVerdict:
    device: str
    verdict: str
    reason: str
    exact: exact.ExactResult | None = None


@dataclass
class CheckResult:
    script: str
    verdict: str
    reason: str
    reference: str | None
    devices: dict                                  # device -> DeviceVerdict
    runs: dict                                     # device -> DeviceRun
    mode: str                                      # exact | stat
    stat: stats.StatResult | None = None
    random_sources: list = field(default_factory=list)
    notes: list = field(default_factory=list)
    seconds: float = 0.0
    pairs: dict = field(default_factory=dict)      # device -> pairs.Pair (how it was judged, and why)
    required_missing: list = field(default_factory=list)   # required devices that did not run (require.py)

    def _device_dict(self, d: str, v: DeviceVerdict) -> dict:
        run = self.runs.get(d)
        return dict(verdict=v.verdict, reason=v.reason, seconds=run.seconds if run else 0.0,
                    seeds=len(run.runs) if run else 0, script=run.runs[0].meta.get("script") if run and run.runs
                    else None, logs=[r.meta.get("log") for r in run.runs] if run else [],
                    written=sorted({f for r in run.runs for f in r.meta.get("written") or []}) if run else [],
                    observables=_observable_units(run),
                    timers=[r.meta.get("timers", {}) for r in run.runs] if run else [])

    def to_dict(self) -> dict:
        return dict(script=self.script, verdict=self.verdict, label=LABEL.get(self.verdict, self.verdict),
                    reason=self.reason, reference=self.reference, mode=self.mode, seconds=self.seconds,
                    random_sources=self.random_sources, notes=self.notes,
                    devices={d: self._device_dict(d, v) for d, v in self.devices.items()},
                    pairs={d: p.to_dict() for d, p in self.pairs.items()},
                    stat=None if self.stat is None else dict(
                        equivalent=self.stat.equivalent, seeds=self.stat.seeds, alpha=self.stat.alpha, m=self.stat.m,
                        summary=self.stat.summary, power=self.stat.power, notes=self.stat.notes,
                        strength=self.stat.strength, too_weak=self.stat.too_weak,
                        seeds_needed=self.stat.seeds_needed, power_per_statistic=self.stat.power_table(),
                        tests=[vars(t) for t in self.stat.tests]))


def _observable_units(run) -> dict:
    """name -> unit of what a device's first run produced (the script's own names where it has them)."""
    if not run or not run.runs:
        return {}
    first = run.runs[0]
    return {n: o.get("unit", "") for n, o in first.observables.items()} or {
        n: "" for n in first.meta.get("available") or []}


def _parallel(fn, items, jobs):
    """`fn` over `items` in threads; on an interrupt every device process is ended before the threads are awaited
    (no run outlives a stop, and none starts after it)."""
    pool = ThreadPoolExecutor(max_workers=max(1, jobs))
    try:
        return list(pool.map(fn, items))
    except BaseException:
        pool.shutdown(wait=False, cancel_futures=True)
        processes.stop_all()
        raise
    finally:
        pool.shutdown(wait=True)


def _t_end(run: DeviceRun) -> float:
    return max((r.meta.get("t_end", 0.0) for r in run.runs), default=0.0)


def check(script: str, devices=DEFAULT_DEVICES, *, mode: str = "auto", seeds: int = 8, seed: int = 0,
          alpha: float = 0.01, cap: float | None = None, observe=None, tolerance: exact.Tolerance | None = None,
          timeout: float = 600.0, jobs: int | None = None, cache_dir: Path | None = None,
          script_for: dict | None = None, args=None, reference: str | None = None, progress=None,
          runner=run_device, min_effect: float | None = None, max_seeds: int | None = None) -> CheckResult:
    """Judge `script` on `devices` (the first that runs is the reference unless `reference` is given).
    `script_for` maps a device to another script (negative controls); `timeout` is per run (seed);
    `runner` replaces `run_device` (the pytest plugin passes a cached one). `max_seeds`: statistical mode adds
    seeds only while the verdict is open, up to this many per device (sequential.py; `seeds` is then unused)."""
    t0 = time.perf_counter()
    processes.resume()
    devices = list(dict.fromkeys(devices))
    tolerance = tolerance or exact.Tolerance()
    jobs = jobs or min(len(devices), max(1, (os.cpu_count() or 2)))
    say = progress or (lambda text: None)
    script_for = script_for or {}

    def launch(device, seed_list, stat, **extra):
        say(f"{device}: {len(seed_list)} run(s){' (statistical mode)' if stat else ''}")
        return runner(script_for.get(device, script), device, seed_list, stat=stat, cap=cap, observe=observe,
                      timeout=timeout, cache_dir=cache_dir, args=args, **extra)

    first_stat = mode == "stat"
    if max_seeds:
        seeds = sequential.schedule(max_seeds)[0]
    if first_stat:
        order = {d: k for k, d in enumerate(devices)}
        runs = dict(zip(devices, _parallel(lambda d: launch(d, _seeds(seed, order[d], seeds), True), devices, jobs)))
    else:
        runs = dict(zip(devices, _parallel(lambda d: launch(d, [seed], False), devices, jobs)))
    _observe_names(runs.values(), observe)
    ok = [d for d in devices if runs[d].status == OK]
    ref = reference if reference in ok else (ok[0] if ok else None)
    verdicts = {d: DeviceVerdict(d, runs[d].status, runs[d].reason) for d in devices if runs[d].status != OK}
    random_sources = sorted({s for r in runs.values() for s in r.random_sources})
    notes = sorted({n for r in runs.values() for n in r.notes})
    result = CheckResult(script, SKIP, "", ref, verdicts, runs, "stat" if first_stat else "exact",
                         random_sources=random_sources, notes=notes)
    if ref is not None:
        verdicts[ref] = DeviceVerdict(ref, REFERENCE, f"{len(runs[ref].runs)} run(s)")
    if ref is None or len(ok) < 2:
        return _finish(result, t0)
    others = [d for d in ok if d != ref]
    position = {d: k for k, d in enumerate(devices)}
    grow = _grower(launch, seed, position, jobs, result, None) if max_seeds else None
    if first_stat:
        return _finish(_judge_stat(result, ref, others, alpha, None, min_effect, grow, max_seeds), t0)

    t_end = _t_end(runs[ref])
    random = bool(random_sources)
    exact_res, judged = {}, {}
    for d in others:
        try:
            exact_res[d] = exact.compare_runs(runs[d].runs[0].observables, runs[ref].runs[0].observables, tolerance,
                                              t_end)
        except Exception as exc:     # a comparison problem is a verdict, never a crash
            verdicts[d] = DeviceVerdict(d, ERROR, f"comparison failed: {type(exc).__name__}: {exc}")
            continue
        judged[d] = pairs.first_pass(d, ref, exact_res[d], runs[ref].runs[0].meta, runs[d].runs[0].meta, random,
                                     mode)
    if any(p.mode == pairs.FLOOR for p in judged.values()):
        floor = _noise_floor(launch, runs[ref], seed, tolerance, t_end, say, jobs)
        for d, p in judged.items():
            if p.mode == pairs.FLOOR:
                pairs.with_floor(p, exact_res[d], floor, random)
        if floor is not None:
            once = sum(1 for n in floor.perturbed if n.endswith("(once per run)"))
            note = (f"noise floor: the reference ({ref}) rerun {noise.RUNS} times at seed {seed} (the largest move "
                    f"counts) with {len(floor.perturbed) - once} state "
                    f"variable(s) moved by one ulp (up or down at random) before the first run() and at every step"
                    + (f", and {once} precomputed array(s) moved by one ulp once per run" if once else ""))
            result.notes = sorted(set(result.notes) | {note})
    result.pairs = judged
    for d, p in judged.items():
        if p.mode != pairs.STAT:
            verdicts[d] = DeviceVerdict(d, AGREE if p.outcome == "agree" else FAIL, p.detail, exact_res[d])
    stat_devices = [d for d, p in judged.items() if p.mode == pairs.STAT]
    if not stat_devices:
        return _finish(result, t0)
    reuse = not any(r.meta.get("script_seeded") for r in runs[ref].runs)
    need = [ref] + stat_devices

    def more(d):
        wanted = _seeds(seed, position[d], seeds)
        if d == ref and reuse:
            wanted = wanted[1:]
        return launch(d, wanted, True) if wanted else DeviceRun(d, OK, "")
    extra = dict(zip(need, _parallel(more, need, jobs)))
    stat_runs = {}
    for d in need:
        sample = (runs[d].runs if d == ref and reuse else []) + extra[d].runs
        stat_runs[d] = DeviceRun(d, extra[d].status, extra[d].reason, sample, extra[d].seconds)
        runs[d] = DeviceRun(d, runs[d].status, runs[d].reason, runs[d].runs + extra[d].runs,
                            runs[d].seconds + extra[d].seconds)
        if stat_runs[d].status != OK:
            verdicts[d] = DeviceVerdict(d, stat_runs[d].status, "statistical mode: " + stat_runs[d].reason)
    if verdicts[ref].verdict != REFERENCE:
        return _finish(result, t0)
    result.mode = "stat" if len(stat_devices) == len(others) else "mixed"
    grow = _grower(launch, seed, position, jobs, result, stat_runs) if max_seeds else None
    result = _judge_stat(result, ref, [d for d in stat_devices if d not in verdicts], alpha, stat_runs, min_effect,
                         grow, max_seeds)
    for d in stat_devices:
        v = verdicts.get(d)
        if v is not None and v.verdict in (AGREE_STAT, FAIL):
            v.exact = exact_res.get(d)
            v.reason += f"; judged statistically because: {judged[d].why}"
    return _finish(result, t0)


def _noise_floor(launch, ref_run: DeviceRun, seed: int, tolerance, t_end: float, say, jobs: int):
    """The reference rerun at `seed` in `noise.RUNS` perturbed realizations, compared with its unperturbed run."""
    device = ref_run.device
    if device not in ("numpy", "cython"):
        say(f"no noise floor: {device} cannot be perturbed before its run")
        return None
    say(f"{device}: {noise.RUNS} noise-floor runs (state moved by one ulp at every step)")
    done = _parallel(lambda k: launch(device, [seed], False, perturb=k), range(1, noise.RUNS + 1), jobs)
    if any(p.status != OK or not p.runs for p in done):
        return None
    results = [exact.compare_runs(p.runs[0].observables, ref_run.runs[0].observables, tolerance, t_end) for p in done]
    return noise.measure(results, done[0].runs[0].meta.get("perturbed", []))


def _observe_names(device_runs, observe) -> None:
    """--observe names that match nothing in the script are a usage error that lists what exists."""
    if not observe:
        return
    for run in device_runs:
        for r in run.runs:
            unmatched = r.meta.get("observe_unmatched") or []
            if unmatched and r.status == OK:
                have = r.meta.get("available") or []
                raise UsageError(f"--observe: {', '.join(unmatched)} match(es) nothing in the script; it has: "
                                 + (", ".join(have[:40]) + (" ..." if len(have) > 40 else "") if have else
                                    "no observable"))


def _seeds(seed: int, position: int, k: int) -> list[int]:
    base = seed + 1000 * position
    return list(range(base, base + k))


class _DeviceFailed(Exception):
    pass


def _grower(launch, seed: int, position: dict, jobs: int, result: CheckResult, stat_runs: dict | None):
    """sequential.py's grow(k): every device's statistical sample made k seeds (only the missing ones run)."""
    def grow(k: int, devs: list) -> dict:
        sample = stat_runs if stat_runs is not None else result.runs

        def more(d):
            have = {r.seed for r in sample[d].runs}
            new = [s for s in _seeds(seed, position[d], k) if s not in have]
            return launch(d, new, True) if new else DeviceRun(d, OK, "")
        for d, extra in zip(devs, _parallel(more, devs, jobs)):
            if stat_runs is not None:
                stat_runs[d] = DeviceRun(d, extra.status, extra.reason, stat_runs[d].runs + extra.runs,
                                         stat_runs[d].seconds + extra.seconds)
            result.runs[d] = DeviceRun(d, result.runs[d].status, result.runs[d].reason,
                                       result.runs[d].runs + extra.runs, result.runs[d].seconds + extra.seconds)
            if extra.status != OK:
                raise _DeviceFailed(d, extra)
        return sample
    return grow


def _compare(result: CheckResult, ref: str, others: list, alpha: float, runs: dict, min_effect, grow, max_seeds):
    """The StatResult: one comparison, or the group-sequential looks (sequential.py)."""
    def lists(sample):
        return {d: [r.statistics for r in sample[d].runs] for d in [ref] + others}
    if not grow:
        return stats.compare_statistics(ref, lists(runs), alpha, min_effect)
    outcome = sequential.run(lambda k: grow(k, [ref] + others),
                             lambda sample, level, eff: stats.compare_statistics(ref, lists(sample), level, eff),
                             max_seeds, alpha, min_effect)
    outcome.result.notes.append(sequential.note(outcome, alpha))
    result.notes = sorted(set(result.notes) | {sequential.note(outcome, alpha)})
    return outcome.result


def _judge_stat(result: CheckResult, ref: str, others: list, alpha: float, stat_runs: dict | None = None,
                min_effect: float | None = None, grow=None, max_seeds: int | None = None) -> CheckResult:
    runs = stat_runs or result.runs
    if not others:
        return result
    try:
        st = _compare(result, ref, others, alpha, runs, min_effect, grow, max_seeds)
    except _DeviceFailed as failed:
        d, run = failed.args
        result.devices[d] = DeviceVerdict(d, run.status, "statistical mode: " + run.reason)
        return result
    except Exception as exc:         # a comparison problem is a verdict, never a crash
        for d in others:
            result.devices[d] = DeviceVerdict(d, ERROR, f"statistical comparison failed: {type(exc).__name__}: {exc}")
        return result
    result.devices[ref] = DeviceVerdict(ref, REFERENCE, f"{len(runs[ref].runs)} run(s)")
    result.stat = st
    alpha = st.alpha
    for d in others:
        bad = [t for t in st.tests if t.device == d and t.rejected]
        if bad:
            t = min(bad, key=lambda x: x.p)
            reason = (f"statistically different: {t.statistic}: {t.mean:.4g} on {d} vs {t.ref_mean:.4g} on {ref} "
                      f"{t.unit} (p = {t.p:.2g}, Holm-adjusted {t.p_adjusted:.2g})").replace("  ", " ")
            result.devices[d] = DeviceVerdict(d, FAIL, reason)
        elif st.too_weak:
            result.devices[d] = DeviceVerdict(d, FAIL, f"too weak: {st.too_weak}")
        else:
            k = st.seeds.get(d, 0)
            reason = (f"statistically equivalent, {st.strength or 'nothing varies'} ({k} seeds, alpha = {alpha}, "
                      f"{st.m} statistics, Holm)")
            result.devices[d] = DeviceVerdict(d, AGREE_STAT, reason)
    return result


def _finish(result: CheckResult, t0: float) -> CheckResult:
    result.seconds = time.perf_counter() - t0
    order = list(result.runs) + [d for d in result.devices if d not in result.runs]     # as the user listed them
    result.devices = {d: result.devices[d] for d in order if d in result.devices}
    v = result.devices
    judged = [x for x in v.values() if x.verdict in (AGREE, AGREE_STAT, FAIL)]
    for verdict in (FAIL, ERROR):
        hits = [x for x in v.values() if x.verdict == verdict]
        if hits:
            result.verdict = verdict
            result.reason = "; ".join(f"{x.device}: {x.reason}" for x in hits)
            return result
    built = [x for x in v.values() if x.verdict == BUILT]
    if not judged:
        ran = [x.device for x in v.values() if x.verdict == REFERENCE]
        skipped = [x for x in v.values() if x.verdict in (SKIP, BUILT)]
        result.verdict = BUILT if built and ran else SKIP
        result.reason = ((f"only {ran[0]} ran; " if ran else "no device ran; ")
                         + "; ".join(f"{x.device}: {x.reason}" for x in skipped))
        return result
    result.verdict = AGREE_STAT if any(x.verdict == AGREE_STAT for x in judged) else AGREE
    parts = [result.stat.summary] if result.verdict == AGREE_STAT and result.stat else []
    if result.verdict == AGREE:
        parts.append(f"{', '.join(x.device for x in judged)} agree with {result.reference}: {judged[0].reason}")
    exact_agree = [x.device for x in judged if x.verdict == AGREE]
    if result.verdict == AGREE_STAT and exact_agree:
        parts.append(f"{', '.join(exact_agree)} agree exactly with {result.reference}")
    skipped = [x for x in v.values() if x.verdict == SKIP]
    if skipped:
        parts.append("skipped: " + "; ".join(f"{x.device}: {x.reason}" for x in skipped))
    if built:
        parts.append("built only: " + "; ".join(f"{x.device}: {x.reason}" for x in built))
    result.reason = "; ".join(parts)
    return result
