"""Which of two versions moved, measured against the oracle, when their values differ within tolerance.

A change "within tolerance" only says that the two versions are no further apart than two devices may be. When
the change is far above what separates either version from the oracle, one of them moved: both cells are compared
with the oracle of the variant's semantics (the family's comparison, per-neuron bounds), and the one whose
distance grew is named, with its distance as a fraction of the cell's stated limit (`ratio`: largest |error| /
its neuron's bound; 1 is where the cell would fail) and the largest absolute error per observable.

    rounding                       no value moved by more than ULPS units in the last place (its dtype), or
                                   the change is below FLOOR of the cell's limit
    moved away from the oracle     otherwise, when now's ratio > FACTOR x before's (before may be exact)
    moved towards the oracle       the reverse
    as far from the oracle         neither version is FACTOR x closer: both differ from it, differently
"""
from __future__ import annotations

import numpy as np

from brian2_harness.families import get_family

FACTOR = 10.0      # one version at least this much further from the oracle than the other
ULPS = 4           # a change of at most this many units in the last place is rounding
FLOOR = 1e-3       # ... and so is one below this fraction of the cell's limit (|now - base| / bound)
AWAY, TOWARDS, ROUNDING, EVEN = ("moved away from the oracle", "moved towards the oracle", "rounding",
                                 "as far from the oracle")


def max_ulps(a: dict, b: dict) -> float:
    """Largest |a - b| over the float observables, in units in the last place of the larger value (their dtype)."""
    out = 0.0
    for k in set(a) & set(b):
        x, y = np.asarray(a[k]), np.asarray(b[k])
        if x.dtype.kind != "f" or x.shape != y.shape or not x.size:
            continue
        big = np.maximum(np.abs(x), np.abs(y)).astype(x.dtype)
        with np.errstate(invalid="ignore", over="ignore"):
            d = np.abs(x.astype(np.float64) - y.astype(np.float64)) / np.spacing(big).astype(np.float64)
        d = np.where(x == y, 0.0, d)
        out = max(out, float(np.max(np.where(np.isfinite(d), d, np.inf))))
    return out


def per_observable(arrays: dict, oracle: dict) -> dict:
    """Largest |value - oracle| per observable (only float observables both have, same shape)."""
    out = {}
    for k in sorted(set(arrays) & set(oracle)):
        a, o = np.asarray(arrays[k]), np.asarray(oracle[k])
        if a.dtype.kind != "f" or a.shape != o.shape:
            continue
        d = np.abs(a.astype(np.float64) - o.astype(np.float64))
        out[k] = float(np.max(np.where(np.isfinite(d), d, np.inf))) if d.size else 0.0
    return out


def classify(before: float, now: float, ulps: float = float("inf"), change: float = float("inf")) -> tuple[str, str]:
    """(label, who moved) from the two versions' ratios to the limit against the oracle, the change in ulps and
    the change's own ratio to the limit."""
    if ulps <= ULPS or change < FLOOR:
        return ROUNDING, ""
    if now > FACTOR * before:
        return AWAY, "now"
    if before > FACTOR * now:
        return TOWARDS, "before"
    return EVEN, ""


def oracle_drift(family: str, semantics, case, dtype: str, before: dict, now: dict, device: str, oracles,
                 compare_values, change_ratio: float = float("inf")) -> dict | None:
    """Both versions' cells against the oracle; None for variants without an oracle (device against device).
    float32 cells are also measured against the float64 oracle (`exact`): which version is closer to exact
    arithmetic, which may differ from which one follows the float32 oracle's rounding.

    `compare_values` is changes.compare_values (passed in: this module does not import changes.py)."""
    if semantics is None:
        return None
    fam = get_family(family)
    try:
        oracle = oracles.get(family, case.replace(dtype=dtype), semantics)
    except (ValueError, IndexError, KeyError, TypeError) as exc:
        return {"error": f"no oracle: {type(exc).__name__}: {exc}"}
    ref = {k: v for k, v in fam.encode(oracle).items() if k in before}
    out = {}
    for side, arrays in (("before", before), ("now", now)):
        cmp = compare_values(family, semantics, case, dtype, arrays, ref, device, oracles)
        out[side] = {"ratio": float(cmp.ratio), "max_abs_err": per_observable(arrays, ref),
                     "detection_limit": cmp.detection_limit, "ok": bool(cmp.ok)}
    out["ulps"] = max_ulps(before, now)
    out["change_ratio"] = float(change_ratio)
    label, who = classify(out["before"]["ratio"], out["now"]["ratio"], out["ulps"], change_ratio)
    out["label"], out["moved"] = label, who
    if dtype != "float64":
        try:
            exact = {k: v for k, v in fam.encode(oracles.get(family, case.replace(dtype="float64"), semantics)).items()
                     if k in before}
            out["exact"] = {"before": per_observable(before, exact), "now": per_observable(now, exact)}
        except (ValueError, IndexError, KeyError, TypeError):
            pass
    return out


def describe(drift: dict | None, before: str = "before", now: str = "now") -> str:
    """One line: e.g. 'moved away from the oracle: now r 1.08e-03 (0.027 of limit), before r 0 (0)'."""
    if not drift:
        return ""
    if "error" in drift:
        return drift["error"]

    def top(errs):
        k = max(errs, key=errs.get) if errs else None
        return "-" if k is None else ("exact" if errs[k] == 0 else f"{k} {errs[k]:.3g}")

    def side(d):
        return f"{top(d['max_abs_err'])} ({d['ratio']:.2g} of limit)"
    ulps = f", {drift['ulps']:.3g} ulp" if drift.get("ulps") is not None and drift["ulps"] <= 1e6 else ""
    text = f"{drift['label']}{ulps}: vs oracle {before} {side(drift['before'])}, {now} {side(drift['now'])}"
    if drift.get("exact") and drift["label"] != ROUNDING:
        text += f"; vs float64 oracle {before} {top(drift['exact']['before'])}, {now} {top(drift['exact']['now'])}"
    return text
