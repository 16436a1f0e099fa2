"""Brian-free reference simulation of the growth family.

It follows Brian's order within a time step (groups -> ... -> end) and does the same floating-point
operations as generated code, in the same dtype, so that the remaining differences are only those the
tolerance accounts for (order of summation). Two schedules are legitimate readings of the model:

* ``aligned``: the total is taken in slot `end`, after that step's growth (network_operation reference).
* ``lagged``: the total is taken in slot `groups`, before that step's growth (the seed's summed updater);
  the correction is applied after the growth, so each event leaves the total N_i*g*dt above B_i.

Events fire at the steps whose time is a multiple of the period, starting at t = 0.

The oracle owns its inputs: it computes the targets B_i = beta_i * sum_j w_ij(0) itself, with an exactly
rounded sum (`math.fsum`), not with the harness function that gives the devices their B. A bug there shows up
as a difference; the honest difference between the two summations is bounded (`b_error`) and enters the
tolerance. It also marks the clip decisions that every IEEE implementation must take the same way
(`determinate`), so that those are judged exactly instead of being waved through as "boundary".
"""
from __future__ import annotations

import math
from fractions import Fraction

import numpy as np

from brian2_harness.families.growth.network import GrowthNetwork
from brian2_harness.families.growth.observables import OracleObservables

SCHEDULES = ("aligned", "lagged")


def _totals(w: np.ndarray, j: np.ndarray, n_post: int) -> np.ndarray:
    """Sequential accumulation in the weights' dtype, like `S[j] += w` in generated code."""
    out = np.zeros(n_post, dtype=w.dtype)
    np.add.at(out, j, w)
    return out


def own_targets(net: GrowthNetwork) -> tuple[np.ndarray, np.ndarray]:
    """(B in the dtype, bound on |B_device - B|): B from the case data with an exactly rounded sum."""
    dtype = np.dtype(net.dtype)
    w0 = net.w0.astype(dtype).astype(np.float64)
    order = np.argsort(net.j, kind="stable")
    bounds = np.searchsorted(net.j[order], np.arange(net.n_post + 1))
    s0 = np.array([math.fsum(w0[order[a:b]]) for a, b in zip(bounds[:-1], bounds[1:])])
    abs0 = np.bincount(net.j, weights=np.abs(w0), minlength=net.n_post)
    n_in = np.bincount(net.j, minlength=net.n_post)
    B = (net.beta * s0).astype(dtype)
    e64, e = float(np.finfo(np.float64).eps), float(np.finfo(dtype).eps)
    b_error = e64 * (n_in * net.beta * abs0 + np.abs(net.beta * s0)) + e * np.abs(B.astype(np.float64))
    return B, b_error


def _exact_sums(values: list[float], bits: int) -> bool:
    """True if every partial sum of `values`, in any order, is exactly representable with `bits` mantissa bits."""
    fr = [Fraction(v) for v in values]
    den = max((f.denominator for f in fr), default=1)   # powers of two: the max is the common denominator
    return sum(abs(f) for f in fr) * den < 2 ** bits


def _determinate(net: GrowthNetwork, B: np.ndarray, w_events: np.ndarray, seen: np.ndarray) -> np.ndarray:
    """(events, n_post) bool: decisions every IEEE implementation takes identically.

    A neuron whose synapses do not grow (g = 0) keeps its exact initial weights until its first clip. If those
    weights and B are dyadic with few enough bits, S_i - B_i is exact in any summation order, so the sign of the
    excess is known exactly: not clipped when it is <= 0; clipped when the subtraction moves at least one weight
    by more than two of its ulps (a change no rounding of the division can hide).
    """
    dtype = np.dtype(net.dtype)
    bits = np.finfo(dtype).nmant + 1
    out = np.zeros(seen.shape, dtype=bool)
    n_in = np.bincount(net.j, minlength=net.n_post)
    for i in np.flatnonzero(n_in):
        syn = np.flatnonzero(net.j == i)
        if np.any(net.g[syn] != 0):
            continue
        w0 = net.w0.astype(dtype)[syn]
        if not _exact_sums([float(x) for x in w0] + [float(B[i])], int(bits)):
            continue
        for e in range(seen.shape[0]):
            excess = seen[e, i] - float(B[i])          # exact: both are sums of the same dyadic values
            if excess <= 0:
                out[e, i] = True
                continue
            step = excess / n_in[i]
            out[e, i] = bool(np.any(step > 2 * np.spacing(np.abs(w_events[e, syn]))))
            break                                      # after a clip the weights are no longer exact
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
    B, b_error = own_targets(net)
    steps_per_period = net.steps_per_period
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
        seen_total=seen, target=B.astype(np.float64), b_error=b_error,
        determinate=_determinate(net, B, before, seen),
    )
