"""Device-against-device comparison for models without an oracle: named arrays, per-step bound per row."""
from __future__ import annotations

import numpy as np

from brian2_harness.families.bounds import stepwise_bounds
from brian2_harness.families.comparison import Comparison
from brian2_harness.nonfinite import differences, finite_scale, over_bound


def compare_arrays(got: dict, ref: dict, *, dtype: str, n_steps: int) -> Comparison:
    """Device-against-device check for models without an oracle: every named array, per-step bound per
    observable and recorded index (a large value in one row never widens another row's bound)."""
    missing = sorted(set(ref) ^ set(got))
    if missing:
        return Comparison(False, float("inf"), float("inf"), 0.0, 0.0, 0.0, 0, 0,
                          f"observables differ in names: {missing}", ratio=float("inf"))
    max_abs, ratio, worst_tol, reasons, limits = 0.0, 0.0, 0.0, [], []
    for name in sorted(ref):
        a, b = np.asarray(got[name], dtype=np.float64), np.asarray(ref[name], dtype=np.float64)
        if a.shape != b.shape:
            reasons.append(f"{name}: shape {a.shape} vs reference {b.shape}")
            max_abs = ratio = float("inf")
            continue
        tol = stepwise_bounds(b, dtype, n_steps)
        limits.append(np.ravel(tol))
        d = differences(a, b)      # nonfinite.py: NaN/inf on one side only is inf; the same on both sides, 0
        err = float(np.max(d, initial=0.0))
        r = np.where(d == 0, 0.0, d / np.maximum(np.broadcast_to(tol, d.shape), 1e-300)) if d.size else d
        if err > max_abs:
            max_abs = err
        if d.size and float(np.max(r)) >= ratio:
            ratio = float(np.max(r))
            worst_tol = float(np.broadcast_to(tol, d.shape).ravel()[int(np.argmax(r))])
        if d.size and np.any(over_bound(a, b, np.broadcast_to(tol, d.shape))):
            k = np.unravel_index(int(np.argmax(r)), d.shape)
            reasons.append(f"{name}{list(map(int, k))}: off by {float(d[k]):.3g} > tol "
                           f"{float(np.broadcast_to(tol, d.shape)[k]):.3g} (largest error {err:.3g})")
    scale = max((finite_scale(v) for v in ref.values()), default=0.0)
    max_rel = max_abs / scale if scale > 0 else (0.0 if max_abs == 0 else float("inf"))
    lim = np.concatenate(limits) if limits else np.zeros(0)
    detection = {"min": float(lim.min()), "max": float(lim.max())} if lim.size else None
    return Comparison(not reasons, max_abs, max_rel, worst_tol, worst_tol, max_abs, 0, 0,
                      "; ".join(reasons) if reasons else "within tolerance", ratio=ratio, detection_limit=detection)
