"""`check`'s statistical judging: K seeds per device, per-observable statistics compared with the reference's
(stats.py), and with `--max-seeds` seeds added only while the verdict is open (sequential.py)."""
from __future__ import annotations

import contextlib

from ..verdicts import AGREE_STAT, ERROR, FAIL, OK, REFERENCE
from . import seed_stream, sequential, stats
from .launch import Launcher
from .result import CheckResult, DeviceVerdict
from .script import DeviceRun
from .seed_stream import SeedStream


class _DeviceFailed(Exception):
    pass


def more_seeds(launch: Launcher, result: CheckResult, devices: list, exact_res: dict, judged: dict, alpha: float,
               min_effect: float | None, max_seeds: int | None) -> None:
    """After the exact runs: judge `devices` (pairs on different streams) statistically, reusing the reference's
    exact run as its first sample unless the script seeds itself (with `max_seeds`, from one job per device that runs
    ahead of the looks where the runner allows it: seed_stream.py)."""
    ref = result.reference
    reuse = not any(r.meta.get("script_seeded") for r in result.runs[ref].runs)
    need = [ref] + devices

    def wanted(d, k):
        seeds = launch.seeds(d, k)
        return seeds[1:] if d == ref and reuse else seeds
    with streamed(launch, {d: wanted(d, max_seeds) for d in need} if max_seeds else None) as stream:
        _judge_more(launch, result, devices, exact_res, judged, alpha, min_effect, max_seeds, wanted, reuse, stream)


@contextlib.contextmanager
def streamed(launch: Launcher, seeds: dict | None):
    """A SeedStream of these seeds per device where the runner streams (seed_stream.py), else None; stopped on
    the way out."""
    stream = SeedStream(launch, seeds) if seeds and seed_stream.can_stream(launch, list(seeds)) else None
    try:
        yield stream
    finally:
        if stream is not None:
            stream.close()


def _judge_more(launch, result, devices, exact_res, judged, alpha, min_effect, max_seeds, wanted, reuse,
                stream) -> None:
    ref, runs, verdicts = result.reference, result.runs, result.devices
    others = [d for d in runs if runs[d].status == OK and d != ref]
    need = [ref] + devices

    def more(d):
        seeds = wanted(d, launch.k)
        if not seeds:
            return DeviceRun(d, OK, "")
        return stream.take(d, seeds) if stream is not None else launch(d, seeds, True)
    extra = dict(zip(need, launch.parallel(more, need)))
    stat_runs = {}
    for d in need:
        sample = (runs[d].runs if d == ref and reuse else []) + extra[d].runs
        stat_runs[d] = DeviceRun(d, extra[d].status, extra[d].reason, sample, extra[d].seconds)
        runs[d] = DeviceRun(d, runs[d].status, runs[d].reason, runs[d].runs + extra[d].runs,
                            runs[d].seconds + extra[d].seconds)
        if stat_runs[d].status != OK:
            verdicts[d] = DeviceVerdict(d, stat_runs[d].status, "statistical mode: " + stat_runs[d].reason)
    if verdicts[ref].verdict != REFERENCE:
        return
    result.mode = "stat" if len(devices) == len(others) else "mixed"
    grow = grower(launch, result, stat_runs, stream) if max_seeds else None
    judge(result, ref, [d for d in devices if d not in verdicts], alpha, stat_runs, min_effect, grow, max_seeds)
    for d in devices:
        v = verdicts.get(d)
        if v is not None and v.verdict in (AGREE_STAT, FAIL):
            v.exact = exact_res.get(d)
            v.reason += f"; judged statistically because: {judged[d].why}"


def grower(launch: Launcher, result: CheckResult, stat_runs: dict | None, stream: SeedStream | None = None):
    """sequential.py's grow(k): every device's statistical sample made k seeds (only the missing ones run; from
    `stream` where given, seed_stream.py)."""
    def grow(k: int, devs: list) -> dict:
        sample = stat_runs if stat_runs is not None else result.runs

        def more(d):
            have = {r.seed for r in sample[d].runs}
            new = [s for s in launch.seeds(d, k) if s not in have]
            if not new:
                return DeviceRun(d, OK, "")
            return stream.take(d, new) if stream is not None else launch(d, new, True)
        for d, extra in zip(devs, launch.parallel(more, devs)):
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


def judge(result: CheckResult, ref: str, others: list, alpha: float, stat_runs: dict | None = None,
          min_effect: float | None = None, grow=None, max_seeds: int | None = None) -> CheckResult:
    """The verdicts of `others` against `ref` from their statistical samples (`stat_runs`, else the result's runs);
    `grow`: sequential.py's way of adding seeds (grower), None for one comparison."""
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
            reason += stats.constant_note(t, min(st.seeds.get(d, 0), st.seeds.get(ref, 0)))
            result.devices[d] = DeviceVerdict(d, FAIL, reason)
        elif st.too_weak:
            result.devices[d] = DeviceVerdict(d, FAIL, f"too weak: {st.too_weak}")
        else:
            k = st.seeds.get(d, 0)
            reason = (f"statistically equivalent, {st.strength or 'nothing varies'} ({k} seeds, alpha = {alpha}, "
                      f"{st.m} statistics, Holm)")
            result.devices[d] = DeviceVerdict(d, AGREE_STAT, reason)
    return result
