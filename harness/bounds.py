"""Per-neuron bounds of a cell and what they let the cell see (its detection limit).

A bound is derived for each postsynaptic neuron from what *that* neuron's weights and sums reach over the run
(tolerance.py has the formulas). The detection limit of a cell is the range of its per-weight bounds over the
neurons that have synapses: a deviation larger than `max` on any weight is always flagged, one larger than
`min` is flagged on the most sensitive neuron. A one-step schedule lag moves each weight by |g|*dt; the cell can
see it only where that exceeds the neuron's bound.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .tolerance import cuda_weight_tolerance, growth_total_tolerance, growth_weight_tolerance, stepwise_tolerance

ARITHMETIC = ("ieee", "ieee_contract", "cuda_fast_math")


@dataclass(frozen=True)
class NeuronBounds:
    weight: np.ndarray     # (n_post,): bound on |w_device - w_reference| for each incoming weight of neuron i
    total: np.ndarray      # (n_post,): bound on the neuron's total, and the width of its clip band
    has_syn: np.ndarray    # (n_post,) bool

    def detection_limit(self) -> dict | None:
        """{"min", "max"} of the per-weight bound over neurons with synapses; None without synapses."""
        if not self.has_syn.any():
            return None
        w = self.weight[self.has_syn]
        return {"min": float(w.min()), "max": float(w.max())}

    def lag_visible(self, increment: float) -> bool | None:
        """Can a one-step lag (each weight off by |increment| = |g|*dt) be seen on every neuron that grows?"""
        if not self.has_syn.any() or not increment:
            return None
        return bool(np.all(self.weight[self.has_syn] < abs(increment)))

    def blind_to_lag(self, increment: float) -> int:
        """Neurons with synapses whose bound is at least the lag increment."""
        if not increment:
            return 0
        return int(np.sum(self.has_syn & (self.weight >= abs(increment))))


def neuron_scale(w_arrays, j: np.ndarray, n_post: int, extra=()) -> np.ndarray:
    """Per neuron: the largest |value| its incoming synapses take in any of `w_arrays` (events, synapses),
    and in the per-neuron arrays of `extra` ((events, n_post) or (n_post,))."""
    out = np.zeros(n_post)
    for w in w_arrays:
        w = np.asarray(w, dtype=np.float64)
        if w.size:
            col = np.max(np.abs(w.reshape(-1, w.shape[-1])), axis=0)
            col = np.where(np.isfinite(col), col, 0.0)
            np.maximum.at(out, j, col)
    for x in extra:
        x = np.abs(np.asarray(x, dtype=np.float64))
        if x.size:
            out = np.maximum(out, np.max(x.reshape(-1, n_post), axis=0))
    return out


def growth_bounds(truth, dtype: str, n_steps: int, arithmetic: str = "ieee") -> NeuronBounds:
    """Bounds of the growth family from the reference observables (ideally the oracle's)."""
    if arithmetic not in ARITHMETIC:
        raise ValueError(f"arithmetic must be one of {', '.join(ARITHMETIC)}, got {arithmetic!r}")
    n_in = np.bincount(truth.j, minlength=truth.n_post)
    n_div = np.maximum(n_in, 1)
    extra = []
    if getattr(truth, "seen_total", None) is not None:
        extra = [truth.seen_total / n_div, truth.target / n_div]
    W = neuron_scale([truth.w_before, truth.w_after], truth.j, truth.n_post, extra)
    b_error = getattr(truth, "b_error", None)
    b_error = np.zeros(truth.n_post) if b_error is None else np.asarray(b_error, dtype=np.float64)
    n_events = truth.w_after.shape[0]
    if arithmetic == "cuda_fast_math":
        tol = cuda_weight_tolerance(dtype, n_events, n_in, W, n_steps) + b_error / n_div
    else:
        tol = growth_weight_tolerance(dtype, n_events, n_in, W, n_steps,
                                      contracting=arithmetic == "ieee_contract", b_error=b_error)
    tol = np.broadcast_to(np.asarray(tol, dtype=np.float64), (truth.n_post,)).copy()
    return NeuronBounds(weight=tol, total=np.asarray(growth_total_tolerance(tol, n_in), dtype=np.float64),
                        has_syn=n_in > 0)


def stepwise_bounds(ref: np.ndarray, dtype: str, n_steps: int) -> np.ndarray:
    """Per-step bound for an array of unknown structure, per recorded index (first axis) when it has one."""
    a = np.abs(np.asarray(ref, dtype=np.float64))
    if a.ndim == 0 or a.size == 0:
        return np.asarray(stepwise_tolerance(dtype, n_steps, float(a.max()) if a.size else 0.0))
    scale = np.max(np.where(np.isfinite(a), a, 0.0).reshape(a.shape[0], -1), axis=1)
    return np.asarray(stepwise_tolerance(dtype, n_steps, scale)).reshape((a.shape[0],) + (1,) * (a.ndim - 1))
