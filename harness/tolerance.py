"""Tolerances derived from floating-point precision, never guessed.

Two implementations of the growth model do the same IEEE operations per time step (Euler `w + dt*g`,
correctly rounded), so per-step growth does not make them diverge: adding the same increment to two grid
values in the same binade preserves their difference exactly. They differ where the order of operations
is free: the per-neuron sum S_i at each event. Summing N terms sequentially in a different order changes the
result by at most (N-1)*eps*sum|w| (Higham's gamma bound); that error reaches each weight through
(S_i - B_i)/N_i and persists. Hence, for a weight scale W = max|w| over the run:

    tol_w     = eps * W * (E * (N_max + 2) + 4)       per weight
    tol_total = tol_w * (N_max + 1)                   per postsynaptic total (and for clip boundaries)

E = number of normalization events, N_max = largest in-degree, eps = machine epsilon of the dtype.
The "+2" per event covers the subtraction and division rounding, the "+4" a few binade crossings.

For a model without an oracle (user variants), the reduction structure is unknown; the bound is one
rounding per step and value: tol = eps * W * n_steps.
"""
from __future__ import annotations

import numpy as np


def eps(dtype: str) -> float:
    return float(np.finfo(np.dtype(dtype)).eps)


def weight_scale(*arrays: np.ndarray, floor: float = 0.0) -> float:
    m = max((float(np.max(np.abs(a))) for a in arrays if np.size(a)), default=0.0)
    return max(m, floor)


def growth_weight_tolerance(dtype: str, n_events: int, max_in_degree: int, scale: float) -> float:
    scale = max(scale, float(np.finfo(np.dtype(dtype)).tiny))
    return eps(dtype) * scale * (n_events * (max_in_degree + 2) + 4)


def growth_total_tolerance(tol_w: float, max_in_degree: int) -> float:
    return tol_w * (max_in_degree + 1)


def stepwise_tolerance(dtype: str, n_steps: int, scale: float) -> float:
    scale = max(scale, float(np.finfo(np.dtype(dtype)).tiny))
    return eps(dtype) * scale * max(n_steps, 1)
