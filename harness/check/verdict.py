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

import time
from pathlib import Path

from ..errors import UsageError
from ..plumbing import processes
from ..verdicts import AGREE, AGREE_STAT, BUILT, ERROR, FAIL, LABEL, OK, REFERENCE, SKIP
from . import exact, judge_exact, judge_stat, pairs, sequential
from .launch import Launcher
from .result import CheckResult, DeviceVerdict
from .script import DEFAULT_DEVICES, run_device

__all__ = ["AGREE", "AGREE_STAT", "BUILT", "ERROR", "FAIL", "LABEL", "REFERENCE", "SKIP", "CheckResult",
           "DeviceVerdict", "check"]


def check(script: str, devices=DEFAULT_DEVICES, *, mode: str = "auto", seeds: int = 8, seed: int = 0,
          alpha: float = 0.01, cap: float | None = None, observe=None, tolerance: exact.Tolerance | None = None,
          timeout: float = 600.0, jobs: int | None = None, cache_dir: Path | None = None,
          script_for: dict | None = None, args=None, reference: str | None = None, progress=None,
          runner=run_device, min_effect: float | None = None, max_seeds: int | None = None) -> CheckResult:
    """Judge `script` on `devices` (the first that runs is the reference unless `reference` is given).
    `script_for` maps a device to another script (negative controls); `timeout` is per run (seed);
    `runner` replaces `run_device` (the pytest plugin passes a cached one). `max_seeds`: statistical mode adds
    seeds only while the verdict is open, up to this many per device (sequential.py; `seeds` is then unused).

    The steps: the first runs (one per device, or K seeds each with `mode="stat"`), exact judging with the noise
    floor where needed (judge_exact.py), statistical judging of the pairs that need it (judge_stat.py), the
    script's verdict (_finish)."""
    t0 = time.perf_counter()
    processes.resume()
    devices = list(dict.fromkeys(devices))
    launch = Launcher(script, runner, devices, seed, sequential.schedule(max_seeds)[0] if max_seeds else seeds,
                      jobs or len(devices), progress or (lambda text: None),
                      dict(cap=cap, observe=observe, timeout=timeout, cache_dir=cache_dir, args=args),
                      script_for or {})
    result = _first_runs(launch, mode == "stat", observe, reference)
    ref = result.reference
    others = [d for d in devices if result.runs[d].status == OK and d != ref]
    others = _with_something_to_compare(result, others)
    if ref is None or not others:
        return _finish(result, t0)
    if mode == "stat":
        later = {d: launch.seeds(d, max_seeds)[launch.k:] for d in [ref] + others} if max_seeds else None
        with judge_stat.streamed(launch, later) as stream:
            grow = judge_stat.grower(launch, result, None, stream) if max_seeds else None
            return _finish(judge_stat.judge(result, ref, others, alpha, None, min_effect, grow, max_seeds), t0)
    exact_res, judged = judge_exact.judge(launch, result, others, tolerance or exact.Tolerance(), mode)
    stat_devices = [d for d, p in judged.items() if p.mode == pairs.STAT]
    if stat_devices:
        judge_stat.more_seeds(launch, result, stat_devices, exact_res, judged, alpha, min_effect, max_seeds)
    return _finish(result, t0)


def _first_runs(launch: Launcher, stat: bool, observe, reference: str | None) -> CheckResult:
    """Every device's first runs (one at the check's seed, or K seeds in statistical mode), the reference chosen
    among the devices that ran, and a verdict for each device that did not."""
    devices = launch.devices
    if stat:
        done = launch.parallel(lambda d: launch(d, launch.seeds(d, launch.k), True), devices)
    else:
        done = launch.parallel(lambda d: launch(d, [launch.seed], False), devices)
    runs = dict(zip(devices, done))
    _observe_names(runs.values(), observe)
    ok = [d for d in devices if runs[d].status == OK]
    ref = reference if reference in ok else (ok[0] if ok else None)
    verdicts = {d: DeviceVerdict(d, runs[d].status, runs[d].reason) for d in devices if runs[d].status != OK}
    random_sources = sorted({s for r in runs.values() for s in r.random_sources})
    notes = sorted({n for r in runs.values() for n in r.notes})
    result = CheckResult(launch.script, SKIP, "", ref, verdicts, runs, "stat" if stat else "exact",
                         random_sources=random_sources, notes=notes)
    if ref is not None:
        verdicts[ref] = DeviceVerdict(ref, REFERENCE, f"{len(runs[ref].runs)} run(s)")
    return result


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


NOTHING = ("nothing to compare: neither run kept a monitor or bound a numeric result at module level (name a "
           "variable with --observe group.var)")


def _empty(run) -> bool:
    return not any(r.observables or r.statistics for r in run.runs)


def _with_something_to_compare(result: CheckResult, others: list[str]) -> list[str]:
    """The devices left to judge; a device that, like the reference, produced nothing is a skip that says so (an
    empty comparison is no agreement)."""
    if result.reference is None or not _empty(result.runs[result.reference]):
        return others
    for d in others:
        if _empty(result.runs[d]):
            result.devices[d] = DeviceVerdict(d, SKIP, NOTHING)
    return [d for d in others if d not in result.devices]


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
        nothing = ran and skipped and all(x.reason == NOTHING for x in skipped)
        result.reason = ((f"nothing compared with {ran[0]}; " if nothing else f"only {ran[0]} ran; " if ran else
                          "no device ran; ")
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
