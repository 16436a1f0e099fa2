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
    if bounds is None:
        if n_steps is None:
            bounds = growth_bounds(ref, dtype, 0, "ieee")
        else:
            tol = np.asarray(stepwise_bounds(np.concatenate([ref.w_before, ref.w_after]).T, dtype, n_steps)).ravel()
            per_post = np.zeros(ref.n_post)
            if tol.size == ref.j.size:
                np.maximum.at(per_post, ref.j, tol)
            bounds = NeuronBounds(per_post, per_post * (n_in + 1), n_in > 0)
    tol_syn = bounds.weight[ref.j]                        # per synapse: its neuron's bound
    with np.errstate(invalid="ignore"):
        d_before = got.w_before.astype(np.float64) - ref.w_before.astype(np.float64)
        d_after = got.w_after.astype(np.float64) - ref.w_after.astype(np.float64)
    # nonfinite.py: a NaN or inf on one side only is a difference (on either side: the reference's too)
    nonfinite = bool(nonfinite_mismatch(got.w_before, ref.w_before).any()
                     or nonfinite_mismatch(got.w_after, ref.w_after).any())
    abs_err = (np.maximum(differences(got.w_before, ref.w_before), differences(got.w_after, ref.w_after))
               if d_after.size else np.zeros((0, ref.j.size)))
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

    clip_got, clip_ref = got.clipped(), ref.clipped()
    differs = clip_got != clip_ref
    if excess is not None:
        band = np.abs(excess) <= bounds.total[None, :]
        if determinate is not None:
            band &= ~determinate
    else:
        band = np.zeros_like(differs)
    has_syn = (n_in > 0)[None, :]
    boundary = int(np.sum(band & has_syn))
    judged = int(np.sum(~band & has_syn))
    mismatches = differs & ~band & has_syn

    reasons, first = [], None
    bad_after = over_bound(got.w_after, ref.w_after, tol_syn[None, :])
    bad_before = over_bound(got.w_before, ref.w_before, tol_syn[None, :])
    if bad_after.any() or bad_before.any():
        which, d = ("after", d_after) if bad_after.any() else ("before", d_before)
        bad_w = bad_after if bad_after.any() else bad_before
        e, s = map(int, np.argwhere(bad_w)[0])
        src = got.w_after if which == "after" else got.w_before
        want = ref.w_after if which == "after" else ref.w_before
        why = _explain(float(d[e, s]), increment)
        reasons.append(
            f"event {e}, synapse {s} (post {int(ref.j[s])}), weight {which} the event: "
            f"{float(src[e, s])!r} vs {float(want[e, s])!r}, diff {float(d[e, s]):.3g} > tol {float(tol_syn[s]):.3g}"
            + why)
        worst_post = int(ref.j[s])
        first = {"observable": f"w_{which}", "event": e, "index": s, "post": int(ref.j[s]),
                 "device": float(src[e, s]), "reference": float(want[e, s]), "diff": float(d[e, s]),
                 "tolerance": float(tol_syn[s]), "explanation": why.strip(" ()")}
    bad_total = over_bound(got.totals(), ref.totals(), bounds.total[None, :])
    if bad_total.any():
        e, p = map(int, np.argwhere(bad_total)[0])
        if first is None:
            first = {"observable": "total", "event": e, "index": p, "post": p, "device": float(got.totals()[e, p]),
                     "reference": float(ref.totals()[e, p]), "diff": float(d_total[e, p]),
                     "tolerance": float(bounds.total[p]), "explanation": ""}
        reasons.append(f"total of post {p} at event {e} off by {float(d_total[e, p]):.3g} "
                       f"> tol {float(bounds.total[p]):.3g}")
    if mismatches.any():
        e, p = map(int, np.argwhere(mismatches)[0])
        if first is None:
            first = {"observable": "clip decision", "event": e, "index": p, "post": p,
                     "device": bool(clip_got[e, p]), "reference": bool(clip_ref[e, p]), "diff": None,
                     "tolerance": float(bounds.total[p]), "explanation": "clip decision outside the band"}
        reasons.append(f"{int(mismatches.sum())} clip decision(s) differ, first at event {e}, post {p} "
                       f"(clipped={bool(clip_got[e, p])}, reference={bool(clip_ref[e, p])})")
    ok = not reasons
    tol_w = float(bounds.weight[worst_post]) if worst_post is not None else 0.0
    tol_s = float(bounds.total[worst_post]) if worst_post is not None else 0.0
    return Comparison(ok, max_abs, max_rel, tol_w, tol_s, total_err, int(mismatches.sum()), boundary,
                      "; ".join(reasons) if reasons else "within tolerance", judged=judged, ratio=ratio,
                      detection_limit=bounds.detection_limit(),
                      lag_visible=bounds.lag_visible(increment) if increment is not None else None, first=first)
