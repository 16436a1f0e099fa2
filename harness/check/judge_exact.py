"""`check`'s exact judging: each device's single run against the reference's at the same seed, and the
reference's noise floor (floor.py) for a same-stream pair whose runs differ (pairs.py decides which pairs)."""
from __future__ import annotations

from ..devices import get_device
from ..devices.releases import base_name
from ..verdicts import AGREE, ERROR, FAIL, OK
from . import exact, pairs
from . import floor as noise
from .launch import Launcher
from .result import CheckResult, DeviceVerdict
from .script import DeviceRun


def t_end(run: DeviceRun) -> float:
    return max((r.meta.get("t_end", 0.0) for r in run.runs), default=0.0)


def judge(launch: Launcher, result: CheckResult, others: list, tolerance: exact.Tolerance,
          mode: str) -> tuple[dict, dict]:
    """Compare every device of `others` with the reference run by run; decide each pair that needs no further
    statistical runs (the noise floor is run here when a pair needs it). Returns (device -> ExactResult,
    device -> pairs.Pair); a pair left statistical has no verdict yet."""
    runs, ref, verdicts = result.runs, result.reference, result.devices
    end, random = t_end(runs[ref]), bool(result.random_sources)
    exact_res, judged = {}, {}
    for d in others:
        try:
            exact_res[d] = exact.compare_runs(runs[d].runs[0].observables, runs[ref].runs[0].observables, tolerance,
                                              end)
        except Exception as exc:     # a comparison problem is a verdict, never a crash
            verdicts[d] = DeviceVerdict(d, ERROR, f"comparison failed: {type(exc).__name__}: {exc}")
            continue
        judged[d] = pairs.first_pass(d, ref, exact_res[d], runs[ref].runs[0].meta, runs[d].runs[0].meta, random,
                                     mode)
    if any(p.mode == pairs.FLOOR for p in judged.values()):
        _with_floor(launch, result, judged, exact_res, tolerance, end, random)
    result.pairs = judged
    for d, p in judged.items():
        if p.mode != pairs.STAT:
            verdicts[d] = DeviceVerdict(d, AGREE if p.outcome == AGREE else FAIL, p.detail, exact_res[d])
    return exact_res, judged


def _with_floor(launch: Launcher, result: CheckResult, judged: dict, exact_res: dict, tolerance, end: float,
                random: bool) -> None:
    """Decide the pairs that need the noise floor, and say in the notes how it was measured."""
    ref = result.reference
    floor = noise_floor(launch, result.runs[ref], tolerance, end)
    for d, p in judged.items():
        if p.mode == pairs.FLOOR:
            pairs.with_floor(p, exact_res[d], floor, random)
    if floor is not None:
        once = sum(1 for n in floor.perturbed if n.endswith("(once per run)"))
        note = (f"noise floor: the reference ({ref}) rerun {noise.RUNS} times at seed {launch.seed} (the largest "
                f"move counts) with {len(floor.perturbed) - once} state "
                f"variable(s) moved by one ulp (up or down at random) before the first run() and at every step"
                + (f", and {once} precomputed array(s) moved by one ulp once per run" if once else ""))
        result.notes = sorted(set(result.notes) | {note})


def noise_floor(launch: Launcher, ref_run: DeviceRun, tolerance, end: float):
    """The reference rerun at the check's seed in `noise.RUNS` perturbed realizations, compared with its
    unperturbed run; None when the reference cannot be perturbed or a realization did not run."""
    device = ref_run.device
    if not get_device(base_name(device)).can_perturb:    # devices/: whose state can be moved by one ulp before a run
        launch.say(f"no noise floor: {device} cannot be perturbed before its run")
        return None
    launch.say(f"{device}: {noise.RUNS} noise-floor runs (state moved by one ulp at every step)")
    done = launch.parallel(lambda k: launch(device, [launch.seed], False, perturb=k), range(1, noise.RUNS + 1))
    if any(p.status != OK or not p.runs for p in done):
        return None
    results = [exact.compare_runs(p.runs[0].observables, ref_run.runs[0].observables, tolerance, end) for p in done]
    return noise.measure(results, done[0].runs[0].meta.get("perturbed", []))
