"""Comparison of observables: pure functions over arrays, testable without Brian."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .observables import GrowthObservables
from .tolerance import (cuda_weight_tolerance, growth_total_tolerance, growth_weight_tolerance, stepwise_tolerance,
                        weight_scale)


@dataclass(frozen=True)
class Comparison:
    ok: bool
    max_abs_err: float
    max_rel_err: float
    tolerance: float          # per weight
    total_tolerance: float
    max_total_err: float
    clip_mismatches: int      # outside the tolerance band
    boundary: int             # inside the band: reported, neither agreement nor disagreement
    reason: str


def _explain(diff: float, increment: float | None) -> str:
    if increment and increment > 0 and abs(abs(diff) / increment - 1) < 0.05:
        return " (= g*dt: one-step schedule lag)"
    return ""


def growth_tolerance(ref: GrowthObservables, dtype: str, n_steps: int, arithmetic: str = "ieee") -> float:
    """Per-weight tolerance for one case; `arithmetic` is the device's ("ieee" or "cuda_fast_math")."""
    n_in = np.bincount(ref.j, minlength=ref.n_post)
    n_max = int(n_in.max()) if n_in.size else 0
    scale = weight_scale(ref.w_before, ref.w_after)
    n_events = ref.w_after.shape[0]
    if arithmetic == "cuda_fast_math":
        return cuda_weight_tolerance(dtype, n_events, n_max, scale, n_steps)
    return growth_weight_tolerance(dtype, n_events, n_max, scale, n_steps)


def compare_growth(got: GrowthObservables, ref: GrowthObservables, *, dtype: str,
                   excess: np.ndarray | None = None, increment: float | None = None,
                   n_steps: int | None = None, tol_w: float | None = None) -> Comparison:
    """Compare one case's observables with a reference of the same shape.

    With `excess` (the oracle's S_i - B_i per event) clip decisions whose |excess| lies inside the total
    tolerance count as `boundary`. With `n_steps`, the per-step bound is used (reference of unknown
    structure or other precision); otherwise the growth-family bound.
    """
    if got.w_after.shape != ref.w_after.shape:
        return Comparison(False, float("inf"), float("inf"), 0.0, 0.0, float("inf"), 0, 0,
                          f"shape differs: {got.w_after.shape} vs reference {ref.w_after.shape}")
    n_events = ref.w_after.shape[0]
    n_in = np.bincount(ref.j, minlength=ref.n_post)
    n_max = int(n_in.max()) if n_in.size else 0
    scale = weight_scale(ref.w_before, ref.w_after)
    if tol_w is None:
        tol_w = growth_weight_tolerance(dtype, n_events, n_max, scale) if n_steps is None \
            else stepwise_tolerance(dtype, n_steps, scale)
    tol_s = growth_total_tolerance(tol_w, n_max)

    d_before = got.w_before.astype(np.float64) - ref.w_before.astype(np.float64)
    d_after = got.w_after.astype(np.float64) - ref.w_after.astype(np.float64)
    nonfinite = not (np.all(np.isfinite(got.w_before)) and np.all(np.isfinite(got.w_after)))
    max_abs = float(max(np.max(np.abs(d_before), initial=0.0), np.max(np.abs(d_after), initial=0.0)))
    if nonfinite:
        max_abs = float("inf")
    max_rel = max_abs / scale if scale > 0 else (0.0 if max_abs == 0 else float("inf"))
    total_err = float(np.max(np.abs(got.totals() - ref.totals()), initial=0.0))
    if nonfinite:
        total_err = float("inf")

    clip_got, clip_ref = got.clipped(), ref.clipped()
    differs = clip_got != clip_ref
    if excess is not None:
        band = np.abs(excess) <= tol_s
    else:
        band = np.zeros_like(differs)
    has_syn = (n_in > 0)[None, :]
    boundary = int(np.sum(band & has_syn))
    mismatches = differs & ~band & has_syn

    reasons = []
    if max_abs > tol_w or nonfinite:
        bad_after = ~np.isfinite(d_after) | (np.abs(d_after) > tol_w)
        which, d, bad = ("after", d_after, bad_after) if bad_after.any() else \
            ("before", d_before, ~np.isfinite(d_before) | (np.abs(d_before) > tol_w))
        e, s = map(int, np.argwhere(bad)[0])
        src = got.w_after if which == "after" else got.w_before
        want = ref.w_after if which == "after" else ref.w_before
        reasons.append(
            f"event {e}, synapse {s} (post {int(ref.j[s])}), weight {which} the event: "
            f"{float(src[e, s])!r} vs {float(want[e, s])!r}, diff {float(d[e, s]):.3g} > tol {tol_w:.3g}"
            + _explain(float(d[e, s]), increment))
    if total_err > tol_s:
        reasons.append(f"totals off by up to {total_err:.3g} > tol {tol_s:.3g}")
    if mismatches.any():
        e, p = map(int, np.argwhere(mismatches)[0])
        reasons.append(f"{int(mismatches.sum())} clip decision(s) differ, first at event {e}, post {p} "
                       f"(clipped={bool(clip_got[e, p])}, reference={bool(clip_ref[e, p])})")
    ok = not reasons
    return Comparison(ok, max_abs, max_rel, tol_w, tol_s, total_err, int(mismatches.sum()), boundary,
                      "; ".join(reasons) if reasons else "within tolerance")


def compare_arrays(got: dict, ref: dict, *, dtype: str, n_steps: int) -> Comparison:
    """Device-against-device check for models without an oracle: every named array, per-step bound."""
    missing = sorted(set(ref) ^ set(got))
    if missing:
        return Comparison(False, float("inf"), float("inf"), 0.0, 0.0, 0.0, 0, 0,
                          f"observables differ in names: {missing}")
    scale = weight_scale(*ref.values())
    tol = stepwise_tolerance(dtype, n_steps, scale)
    max_abs, reasons = 0.0, []
    for name in sorted(ref):
        a, b = np.asarray(got[name], dtype=np.float64), np.asarray(ref[name], dtype=np.float64)
        if a.shape != b.shape:
            reasons.append(f"{name}: shape {a.shape} vs reference {b.shape}")
            max_abs = float("inf")
            continue
        err = float(np.max(np.abs(a - b), initial=0.0)) if np.all(np.isfinite(a)) else float("inf")
        max_abs = max(max_abs, err)
        if err > tol:
            reasons.append(f"{name}: off by up to {err:.3g} > tol {tol:.3g}")
    max_rel = max_abs / scale if scale > 0 else (0.0 if max_abs == 0 else float("inf"))
    return Comparison(not reasons, max_abs, max_rel, tol, tol, max_abs, 0, 0,
                      "; ".join(reasons) if reasons else "within tolerance")
