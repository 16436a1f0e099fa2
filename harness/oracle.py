"""Brian-free reference simulation of the growth family.

It follows Brian's order within a time step (groups -> ... -> end) and does the same floating-point
operations as generated code, in the same dtype, so that the remaining differences are only those the
tolerance accounts for (order of summation). Two schedules are legitimate readings of the model:

* ``aligned``: the total is taken in slot `end`, after that step's growth (network_operation reference).
* ``lagged``: the total is taken in slot `groups`, before that step's growth (the seed's summed updater);
  the correction is applied after the growth, so each event leaves the total N_i*g*dt above B_i.

Events fire at the steps whose time is a multiple of the period, starting at t = 0.
"""
from __future__ import annotations

import numpy as np

from .network import GrowthNetwork
from .observables import OracleObservables

SCHEDULES = ("aligned", "lagged")


def _totals(w: np.ndarray, j: np.ndarray, n_post: int) -> np.ndarray:
    """Sequential accumulation in the weights' dtype, like `S[j] += w` in generated code."""
    out = np.zeros(n_post, dtype=w.dtype)
    np.add.at(out, j, w)
    return out


def simulate(net: GrowthNetwork, schedule: str) -> OracleObservables:
    if schedule not in SCHEDULES:
        raise ValueError(f"schedule must be one of {', '.join(SCHEDULES)}, got {schedule!r}")
    dtype = np.dtype(net.dtype)
    j = net.j
    n_in = np.bincount(j, minlength=net.n_post)
    n_div = np.where(n_in > 0, n_in, 1).astype(dtype)
    # Brian stores g in the model's dtype; dt stays float64; the product is formed in float64.
    inc = net.dt * net.g.astype(dtype).astype(np.float64)
    B = net.B.astype(dtype)
    steps_per_period = int(round(net.period / net.dt))
    n_events = net.n_events
    w = net.w0.astype(dtype).copy()
    before = np.empty((n_events, w.size), dtype=dtype)
    after = np.empty_like(before)
    seen = np.empty((n_events, net.n_post))

    def grow(w):
        return (w.astype(np.float64) + inc).astype(dtype)

    for e in range(n_events):
        if schedule == "lagged":
            total = _totals(w, j, net.n_post)
        w = grow(w)
        if schedule == "aligned":
            total = _totals(w, j, net.n_post)
        before[e] = w
        excess = np.maximum((total - B) / n_div, dtype.type(0))
        w = (w - excess[j]).astype(dtype)
        after[e] = w
        seen[e] = total
        # the remaining steps of this period: growth only
        for _ in range(steps_per_period - 1):
            w = grow(w)
    return OracleObservables(
        w_before=before, w_after=after, j=j, n_post=net.n_post,
        seen_total=seen, target=B.astype(np.float64),
    )
