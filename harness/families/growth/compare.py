"""Comparison of observables: pure functions over arrays, testable without Brian."""
from __future__ import annotations

import numpy as np

from brian2_harness.families.bounds import NeuronBounds, stepwise_bounds
from brian2_harness.families.comparison import Comparison
from brian2_harness.families.growth.observables import GrowthObservables
from brian2_harness.families.growth.tolerance import growth_bounds
from brian2_harness.nonfinite import differences, nonfinite_mismatch, over_bound


def _explain(diff: float, increment: float | None) -> str:
    if increment and increment > 0 and abs(abs(diff) / increment - 1) < 0.05:
        return " (= g*dt: one-step schedule lag)"
    return ""


def _default_bounds(ref: GrowthObservables, dtype: str, n_steps: int | None, n_in: np.ndarray) -> NeuronBounds:
    """Derived from `ref`; with `n_steps` the per-step bound of a reference of unknown structure."""
    if n_steps is None:
        return growth_bounds(ref, dtype, 0, "ieee")
    tol = np.asarray(stepwise_bounds(np.concatenate([ref.w_before, ref.w_after]).T, dtype, n_steps)).ravel()
    per_post = np.zeros(ref.n_post)
    if tol.size == ref.j.size:
        np.maximum.at(per_post, ref.j, tol)
    return NeuronBounds(per_post, per_post * (n_in + 1), n_in > 0)


def _clip_judging(got, ref, bounds: NeuronBounds, excess, determinate, n_in) -> tuple[np.ndarray, int, int]:
    """(mismatching clip decisions, boundary count, judged count): decisions whose |excess| lies inside the neuron's
    total bound are `boundary` (not judged), unless `determinate` marks them as taken identically by every IEEE
    implementation."""
    differs = got.clipped() != ref.clipped()
    if excess is not None:
        band = np.abs(excess) <= bounds.total[None, :]
        if determinate is not None:
            band &= ~determinate
    else:
        band = np.zeros_like(differs)
    has_syn = (n_in > 0)[None, :]
    return differs & ~band & has_syn, int(np.sum(band & has_syn)), int(np.sum(~band & has_syn))


def _weight_failure(got, ref, tol_syn, increment) -> tuple[str, dict] | None:
    """The first weight (after an event, else before it) beyond its synapse's bound: (reason, first difference)."""
    bad_after = over_bound(got.w_after, ref.w_after, tol_syn[None, :])
    bad_before = over_bound(got.w_before, ref.w_before, tol_syn[None, :])
    if not (bad_after.any() or bad_before.any()):
        return None
    which = "after" if bad_after.any() else "before"
    src, want = (got.w_after, ref.w_after) if which == "after" else (got.w_before, ref.w_before)
    e, s = map(int, np.argwhere(bad_after if which == "after" else bad_before)[0])
    with np.errstate(invalid="ignore"):
        d = float(np.float64(src[e, s]) - np.float64(want[e, s]))
    why = _explain(d, increment)
    reason = (f"event {e}, synapse {s} (post {int(ref.j[s])}), weight {which} the event: "
              f"{float(src[e, s])!r} vs {float(want[e, s])!r}, diff {d:.3g} > tol {float(tol_syn[s]):.3g}" + why)
    return reason, {"observable": f"w_{which}", "event": e, "index": s, "post": int(ref.j[s]),
                    "device": float(src[e, s]), "reference": float(want[e, s]), "diff": d,
                    "tolerance": float(tol_syn[s]), "explanation": why.strip(" ()")}


def _total_failure(got, ref, bounds: NeuronBounds, d_total) -> tuple[str, dict] | None:
    bad_total = over_bound(got.totals(), ref.totals(), bounds.total[None, :])
    if not bad_total.any():
        return None
    e, p = map(int, np.argwhere(bad_total)[0])
    return (f"total of post {p} at event {e} off by {float(d_total[e, p]):.3g} > tol {float(bounds.total[p]):.3g}",
            {"observable": "total", "event": e, "index": p, "post": p, "device": float(got.totals()[e, p]),
             "reference": float(ref.totals()[e, p]), "diff": float(d_total[e, p]),
             "tolerance": float(bounds.total[p]), "explanation": ""})


def _clip_failure(got, ref, bounds: NeuronBounds, mismatches) -> tuple[str, dict] | None:
    if not mismatches.any():
        return None
    e, p = map(int, np.argwhere(mismatches)[0])
    clip_got, clip_ref = got.clipped(), ref.clipped()
    return (f"{int(mismatches.sum())} clip decision(s) differ, first at event {e}, post {p} "
            f"(clipped={bool(clip_got[e, p])}, reference={bool(clip_ref[e, p])})",
            {"observable": "clip decision", "event": e, "index": p, "post": p,
             "device": bool(clip_got[e, p]), "reference": bool(clip_ref[e, p]), "diff": None,
             "tolerance": float(bounds.total[p]), "explanation": "clip decision outside the band"})


def compare_growth(got: GrowthObservables, ref: GrowthObservables, *, dtype: str,
                   bounds: NeuronBounds | None = None, excess: np.ndarray | None = None,
                   determinate: np.ndarray | None = None, increment: float | None = None,
                   n_steps: int | None = None) -> Comparison:
    """Compare one case's observables with a reference of the same shape, neuron by neuron.

    `bounds`: per-neuron bounds (default: derived from `ref`; with `n_steps` the per-step bound of a reference
    of unknown structure). With `excess` (the oracle's S_i - B_i per event), clip decisions whose |excess| lies
    inside the neuron's total bound count as `boundary`, unless `determinate` marks them as decisions every
    IEEE implementation takes identically: those are always judged.
    """
    if got.w_after.shape != ref.w_after.shape:
        return Comparison(False, float("inf"), float("inf"), 0.0, 0.0, float("inf"), 0, 0,
                          f"shape differs: {got.w_after.shape} vs reference {ref.w_after.shape}", ratio=float("inf"))
    n_in = np.bincount(ref.j, minlength=ref.n_post)
    bounds = bounds if bounds is not None else _default_bounds(ref, dtype, n_steps, n_in)
    tol_syn = bounds.weight[ref.j]                        # per synapse: its neuron's bound
    # nonfinite.py: a NaN or inf on one side only is a difference (on either side: the reference's too)
    nonfinite = bool(nonfinite_mismatch(got.w_before, ref.w_before).any()
                     or nonfinite_mismatch(got.w_after, ref.w_after).any())
    abs_err = (np.maximum(differences(got.w_before, ref.w_before), differences(got.w_after, ref.w_after))
               if got.w_after.size else np.zeros((0, ref.j.size)))
    max_abs = float(np.max(abs_err, initial=0.0))
    with np.errstate(divide="ignore", invalid="ignore"):
        ratios = np.where(abs_err == 0, 0.0, abs_err / np.maximum(tol_syn[None, :], 1e-300))
    ratio = float(np.max(ratios, initial=0.0))
    worst_syn = int(np.unravel_index(int(np.argmax(ratios)), ratios.shape)[1]) if ratios.size else None
    worst_post = int(ref.j[worst_syn]) if worst_syn is not None else None
    scale = float(np.max(np.abs(ref.w_after), initial=0.0)) if ref.w_after.size else 0.0
    max_rel = max_abs / scale if scale > 0 else (0.0 if max_abs == 0 else float("inf"))
    d_total = differences(got.totals(), ref.totals())
    total_err = float(np.max(d_total, initial=0.0))
    if nonfinite:
        max_abs = total_err = ratio = float("inf")
    mismatches, boundary, judged = _clip_judging(got, ref, bounds, excess, determinate, n_in)
    failures = [f for f in (_weight_failure(got, ref, tol_syn, increment), _total_failure(got, ref, bounds, d_total),
                            _clip_failure(got, ref, bounds, mismatches)) if f is not None]
    reasons = [r for r, _ in failures]
    first = failures[0][1] if failures else None
    if failures and failures[0][1]["observable"].startswith("w_"):
        worst_post = failures[0][1]["post"]
    tol_w = float(bounds.weight[worst_post]) if worst_post is not None else 0.0
    tol_s = float(bounds.total[worst_post]) if worst_post is not None else 0.0
    return Comparison(not reasons, max_abs, max_rel, tol_w, tol_s, total_err, int(mismatches.sum()), boundary,
                      "; ".join(reasons) if reasons else "within tolerance", judged=judged, ratio=ratio,
                      detection_limit=bounds.detection_limit(),
                      lag_visible=bounds.lag_visible(increment) if increment is not None else None, first=first)
