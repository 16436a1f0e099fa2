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

ARITHMETIC = ("ieee", "ieee_contract", "cuda_fast_math")


def eps(dtype: str) -> float:
    return float(np.finfo(np.dtype(dtype)).eps)


def weight_scale(*arrays: np.ndarray, floor: float = 0.0) -> float:
    m = max((float(np.max(np.abs(a))) for a in arrays if np.size(a)), default=0.0)
    return max(m, floor)


def _floor(scale, dtype: str):
    """Scales below the smallest normal number are treated as that number (one ulp there)."""
    return np.maximum(scale, float(np.finfo(np.dtype(dtype)).tiny))


def stepwise_tolerance(dtype: str, n_steps: int, scale):
    tol = eps(dtype) * _floor(scale, dtype) * max(n_steps, 1)
    return tol if np.ndim(tol) else float(tol)


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
        x = np.where(np.isfinite(x), x, 0.0)      # a NaN or inf never becomes a bound (nonfinite.py)
        if x.size:
            out = np.maximum(out, np.max(x.reshape(-1, n_post), axis=0))
    return out


def stepwise_bounds(ref: np.ndarray, dtype: str, n_steps: int) -> np.ndarray:
    """Per-step bound for an array of unknown structure, per recorded index (first axis) when it has one."""
    a = np.abs(np.asarray(ref, dtype=np.float64))
    if a.ndim == 0 or a.size == 0:
        return np.asarray(stepwise_tolerance(dtype, n_steps, float(a.max()) if a.size else 0.0))
    scale = np.max(np.where(np.isfinite(a), a, 0.0).reshape(a.shape[0], -1), axis=1)
    return np.asarray(stepwise_tolerance(dtype, n_steps, scale)).reshape((a.shape[0],) + (1,) * (a.ndim - 1))
