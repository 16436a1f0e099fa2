"""Metaplastic family, Brian-free reference simulation (the oracle).

The model, the order within a time step and the arithmetic are specified in `case` (module docstring);
`simulate_meta` implements exactly that, so a Brian run of models/metaplastic.py differs from it only by
what `compare.meta_tolerance` bounds.
"""
from __future__ import annotations

import numpy as np

from brian2_harness.families.metaplastic.case import MetaNetwork
from brian2_harness.families.metaplastic.observables import MetaObservables


def _by_step(idx: np.ndarray, step: np.ndarray) -> dict[int, np.ndarray]:
    out: dict[int, list] = {}
    for a, s in zip(idx.tolist(), step.tolist()):
        out.setdefault(s, []).append(a)
    return {s: np.array(v, dtype=np.int64) for s, v in out.items()}


def simulate_meta(net: MetaNetwork) -> MetaObservables:
    """Step-by-step numpy simulation in Brian's order and arithmetic (see the module docstring)."""
    dt_ = np.dtype(net.dtype)
    f = dt_.type
    c_r, inc_r, k_meta = f(np.exp(-net.dt / net.tau_r)), f(1.0 / net.tau_r), f(net.A_minus0 / net.r_target)
    inv_pre, inv_post = float(f(1.0 / net.tau_pre)), float(f(1.0 / net.tau_post))
    i, j, B = net.i, net.j, net.B.astype(dt_)
    n_in = np.bincount(j, minlength=net.n_post)
    n_div = np.where(n_in > 0, n_in, 1).astype(dt_)
    r, A = np.full(net.n_post, net.r_target, dtype=dt_), np.full(net.n_post, net.A_minus0, dtype=dt_)
    w = net.w0.astype(dt_).copy()
    apre, apost, last = np.zeros_like(w), np.zeros_like(w), np.zeros(w.size)
    pre_at, post_at = _by_step(net.pre_idx, net.pre_step), _by_step(net.post_idx, net.post_step)
    spp, spm = net.steps_per_period, net.steps_per_meta
    W = np.empty((net.n_norm_events, w.size), dtype=dt_)
    AM, R = np.empty((net.n_meta_events, net.n_post), dtype=dt_), np.empty((net.n_meta_events, net.n_post), dtype=dt_)
    stdp = np.zeros(net.n_post)

    def decay(idx, t):      # event-driven: traces decay from lastupdate to t; exp in float64, stored in dtype
        d = -(t - last[idx])
        apost[idx] = (apost[idx].astype(np.float64) * np.exp(inv_post * d)).astype(dt_)
        apre[idx] = (apre[idx].astype(np.float64) * np.exp(inv_pre * d)).astype(dt_)

    for step in range(net.n_steps):
        t = step * net.dt
        r = c_r * r                                                   # groups
        pre, post = pre_at.get(step), post_at.get(step)               # thresholds
        if pre is not None:                                           # synapses, pre pathway
            idx = np.flatnonzero(np.isin(i, pre))
            decay(idx, t)
            apre[idx] = (apre[idx].astype(np.float64) + net.A_plus).astype(dt_)
            dw = (-A[j[idx]]) * apost[idx]
            w[idx] = w[idx] + dw
            last[idx] = t
            np.maximum.at(stdp, j[idx], np.abs(dw.astype(np.float64)))
        if post is not None:                                          # synapses, post pathway
            idx = np.flatnonzero(np.isin(j, post))
            decay(idx, t)
            apost[idx] = apost[idx] + f(1)
            w[idx] = w[idx] + apre[idx]
            last[idx] = t
            np.maximum.at(stdp, j[idx], np.abs(apre[idx].astype(np.float64)))
            r[post] = r[post] + inc_r                                 # resets
        if step % spp == 0:                                           # end: summed updater, normalization
            S = np.zeros(net.n_post, dtype=dt_)
            np.add.at(S, j, w)
            w = w - np.clip((S - B) / n_div, 0, np.inf)[j]
            W[step // spp] = w
        if step % spm == 0:                                           # end: metaplasticity law
            A = k_meta * r
            AM[step // spm], R[step // spm] = A, r
    return MetaObservables(w=W, A_minus=AM, r=R, pre_count=np.bincount(net.pre_idx, minlength=net.n_pre),
                           post_count=np.bincount(net.post_idx, minlength=net.n_post), i=i, j=j, stdp_step=stdp)


