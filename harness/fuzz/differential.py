"""Run a (packed) script through `check` and attribute every disagreement to the model it belongs to.

Nothing is re-implemented: `check.verdict.check` runs each device in its own process and judges each device
against the reference (exact comparison within the derived tolerance, with the reference's noise floor where
rounding is amplified). Here its per-observable comparisons are read back: an observable that failed (beyond
`floor.FACTOR` x its noise floor, exactly as `floor.judge` decides), a rejected statistic of a device judged
statistically (`m3_mon.v0: mean`: a stochastic pack) or an observable that exists on one device only belongs to the
model its prefix names (`m3_mon.k0` -> model 3). A device that errors on the whole pack (a compile error) is
bisected: halves of the pack are rerun until the model(s) that break it are alone. `runner` (every function that
checks takes it) replaces `run_device`: `fuzz --scheduler` passes check's Dask runner (check/cluster.py), so each
device's runs are Dask tasks exactly as in `check --scheduler`.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field

from ..check import floor as noise
from ..check.exact import Tolerance
from ..check.pairs import STAT
from ..check.script import ERROR, run_device
from ..check.verdict import FAIL, REFERENCE, SKIP, CheckResult, check
from . import emit

INVALID = "invalid"          # the reference itself refused or failed the model: the generator's fault
TIMED_OUT = "timed out"      # check's reason for a run past its --timeout


@dataclass
class Disagreement:
    model: int                 # index in the pack
    device: str
    outcome: str               # fail | error | invalid
    observables: list = field(default_factory=list)     # failing observables, the model's prefix removed
    detail: str = ""

    def to_dict(self) -> dict:
        return dict(model=self.model, device=self.device, outcome=self.outcome, observables=self.observables,
                    detail=self.detail)


def failing_observables(result: CheckResult, device: str) -> list[str]:
    """The observables on which `device` fails against the reference (floor-aware, as check judged them; for a
    device judged statistically, those of its rejected statistics: stat_observables)."""
    v = result.devices.get(device)
    if v is None:
        return []
    pair = result.pairs.get(device)
    if result.stat is not None and (pair.mode == STAT if pair is not None else result.mode == "stat"):
        return stat_observables(result, device) + (list(v.exact.missing) if v.exact is not None else [])
    if v.exact is None:
        return []
    floors = (pair.floor if pair is not None else {}) or {}
    out = []
    for c in v.exact.comparisons:
        size = float((floors.get(c.name) or {}).get("floor", 0.0))
        if c.agree is False and c.max_error > noise.FACTOR * size:
            out.append(c.name)
    return out + list(v.exact.missing)


def stat_observables(result: CheckResult, device: str) -> list[str]:
    """The observables of `device`'s rejected statistical tests, in order (`m3_mon.v0: mean` -> `m3_mon.v0`;
    a statistic is named `<observable>: <what>`, stats.run_statistics)."""
    names = [t.statistic.partition(": ")[0] for t in result.stat.tests if t.device == device and t.rejected]
    return list(dict.fromkeys(names))


def run_check(path: str, devices: list[str], *, timeout: float, cache_dir=None, script_for=None,
              runner=None, seed: int = 0) -> CheckResult:
    return check(path, devices, mode="auto", seed=seed, timeout=timeout, cache_dir=cache_dir, script_for=script_for,
                 reference=devices[0], tolerance=Tolerance(), runner=runner or run_device)


def run_text(text: str, devices: list[str], work: str, label: str, *, timeout: float, cache_dir=None,
             stem: str = "fuzzpack", runner=None, seed: int = 0) -> CheckResult:
    """Check a script's text, run from `work/<stem>.py` (one name for every script of a campaign: the standalone
    build folder is keyed by the script's name, so make recompiles only the new code objects, not Brian's runtime
    library), with a copy kept as `work/<label>.py`."""
    with open(os.path.join(work, f"{label}.py"), "w") as f:
        f.write(text)
    path = os.path.join(work, f"{stem}.py")
    with open(path, "w") as f:
        f.write(text)
    return run_check(path, devices, timeout=timeout, cache_dir=cache_dir, runner=runner, seed=seed)


def attribute(result: CheckResult, devices: list[str], n_models: int) -> tuple[list[Disagreement], list[str]]:
    """(disagreements attributed to models, devices that errored on the whole script: to bisect).
    A reference that did not run makes every model suspect: returned as errors of the reference."""
    ref = devices[0]
    ref_verdict = result.devices.get(ref)
    if ref_verdict is None or ref_verdict.verdict != REFERENCE:
        return [], [ref]
    found, whole = [], []
    for d in devices[1:]:
        v = result.devices.get(d)
        if v is None:
            continue
        if v.verdict == FAIL:
            names = failing_observables(result, d)
            by_model: dict[int, list[str]] = {}
            for name in names:
                k = emit.model_of(name)
                by_model.setdefault(-1 if k is None else k, []).append(emit.MODEL_OF.sub("", name))
            if not names or -1 in by_model:          # a failure that names no model: bisect like an error
                whole.append(d)
            for k, obs in sorted(by_model.items()):
                if k >= 0:
                    found.append(Disagreement(k, d, FAIL, obs, v.reason[:500]))
        elif v.verdict == ERROR and TIMED_OUT not in v.reason:     # a run that ran out of time says nothing
            whole.append(d)                                           # about a model: not bisected
    return found, whole


def refused(result: CheckResult) -> list[str]:
    """`device: Brian's reason` for each device that refused the script (a skip: e.g. store/restore on a
    standalone device): the pack's models are compared on the other devices only."""
    return [f"{d}: {v.reason[:160]}" for d, v in result.devices.items() if v.verdict == SKIP]


def compared(result: CheckResult, devices: list[str]) -> list[str]:
    """The devices besides the reference that ran the script to a verdict on it (agree, fail, error)."""
    return [d for d in devices[1:] if (v := result.devices.get(d)) is not None and v.verdict != SKIP
            and not (v.verdict == ERROR and TIMED_OUT in v.reason)]


def timed_out(result: CheckResult) -> list[str]:
    """Devices whose run of the script hit the timeout (the script is unchecked there)."""
    return [d for d, v in result.devices.items() if v.verdict == ERROR and TIMED_OUT in v.reason]


def check_models(models, runs, devices, work: str, *, timeout: float, cache_dir=None,
                 label: str = "pack", runner=None) -> tuple[CheckResult, list[Disagreement], list[int]]:
    """Check a pack; returns (result, disagreements by model, indices of invalid models). Whole-pack errors are
    bisected down to the models that cause them (their indices keep the pack's numbering)."""
    checks = _Checks(work, timeout, cache_dir, label, runner)
    result = checks.text(emit.pack(models, runs), devices, label)
    found, whole = attribute(result, devices, len(models))
    invalid: list[int] = []
    if whole:
        _split(list(range(len(models))), models, runs, devices, set(whole), checks, found, invalid, result)
    return result, found, invalid


@dataclass
class _Checks:
    """How a pack and its bisection halves are checked (one place for the options every check of them takes)."""
    work: str
    timeout: float
    cache_dir: object
    label: str
    runner: object = None

    def text(self, text: str, devices: list[str], label: str) -> CheckResult:
        return run_text(text, devices, self.work, label, timeout=self.timeout, cache_dir=self.cache_dir,
                        runner=self.runner)


def _split(indices, models, runs, devices, whole, checks, found, invalid, result) -> None:
    """What to do with a part of the pack that errored as a whole (its check `result` already ran)."""
    if len(indices) == 1:
        if devices[0] in whole:
            invalid.append(indices[0])
            return
        found.extend(Disagreement(indices[0], d, ERROR, [], result.devices[d].reason[:500]) for d in whole)
        return
    blamed = whole - {devices[0]} or set(devices[1:])
    for half in (indices[: len(indices) // 2], indices[len(indices) // 2:]):
        _bisect(half, models, runs, devices, blamed, checks, found, invalid)


def _bisect(indices, models, runs, devices, blamed, checks, found, invalid) -> None:
    """Rerun halves of `indices` (on the reference and the blamed devices) until each culprit is alone: a model
    the reference fails on is invalid (the generator's fault), one another device errors on is a disagreement."""
    devs = [devices[0]] + [d for d in devices[1:] if d in blamed]
    result = checks.text(emit.pack([models[k] for k in indices], runs, indices), devs,
                         f"{checks.label}-{indices[0]}-{indices[-1]}")
    more, whole = attribute(result, devs, len(indices))
    found.extend(more)
    if whole:
        _split(indices, models, runs, devices, set(whole), checks, found, invalid, result)
