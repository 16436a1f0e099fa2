"""Metaplastic family, Brian-free: observables, the reference simulation (oracle), derived tolerances.

The model, the order within a time step and the arithmetic are specified in `metaplastic` (module docstring);
`simulate_meta` implements exactly that, so a Brian run of models/metaplastic.py differs from it only by
what `meta_tolerance` bounds.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .metaplastic import MetaBlock, MetaNetwork
from .tolerance import eps


# --- observables -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class MetaObservables:
    """Recorded in slot `end` after the operations: weights after each normalization event (E, synapses),
    A_minus and r after each metaplasticity update (M, n_post), spike counts per neuron.
    `stdp_step` (oracle only, NaN from devices): largest |dw| of one STDP update, a scale for the tolerance."""

    w: np.ndarray
    A_minus: np.ndarray
    r: np.ndarray
    pre_count: np.ndarray
    post_count: np.ndarray
    i: np.ndarray
    j: np.ndarray
    stdp_step: float = float("nan")

    def totals(self) -> np.ndarray:
        """Per-post sums of the weights after each event, (E, n_post), float64."""
        n_post = self.post_count.size
        return np.array([np.bincount(self.j, weights=row.astype(np.float64), minlength=n_post) for row in self.w]
                        ).reshape(self.w.shape[0], n_post)

    def arrays(self) -> dict:
        return {k: getattr(self, k) for k in ("w", "A_minus", "r", "pre_count", "post_count")}

    def block(self, b: MetaBlock) -> "MetaObservables":
        return MetaObservables(w=self.w[:, b.syn], A_minus=self.A_minus[:, b.post], r=self.r[:, b.post],
                               pre_count=self.pre_count[b.pre], post_count=self.post_count[b.post],
                               i=self.i[b.syn] - b.pre.start, j=self.j[b.syn] - b.post.start, stdp_step=self.stdp_step)

    @classmethod
    def from_arrays(cls, net: MetaNetwork, arrays: dict) -> "MetaObservables":
        """From time-major arrays (as `arrays()` returns them); raises ValueError on a wrong shape."""
        shapes = {"w": (net.n_norm_events, net.n_synapses), "A_minus": (net.n_meta_events, net.n_post),
                  "r": (net.n_meta_events, net.n_post), "pre_count": (net.n_pre,), "post_count": (net.n_post,)}
        out = {}
        for k, shape in shapes.items():
            a = np.asarray(arrays[k])
            if a.shape != shape:
                raise ValueError(f"observable '{k}' has shape {a.shape}, expected {shape}")
            out[k] = a
        return cls(**out, i=net.i, j=net.j)


def observables_from_monitors(net: MetaNetwork, w, A_minus, r, pre_count, post_count) -> MetaObservables:
    """From a Brian run: StateMonitor arrays are (index, time); an unrecorded empty monitor may be (0, 0)."""
    def tm(a, shape):
        a = np.asarray(a)
        return np.ascontiguousarray(a.T) if a.size else np.zeros(shape, dtype=net.dtype)
    return MetaObservables.from_arrays(net, {
        "w": tm(w, (net.n_norm_events, net.n_synapses)), "A_minus": tm(A_minus, (net.n_meta_events, net.n_post)),
        "r": tm(r, (net.n_meta_events, net.n_post)), "pre_count": np.asarray(pre_count, dtype=np.int64),
        "post_count": np.asarray(post_count, dtype=np.int64)})


# --- oracle ------------------------------------------------------------------------------------------
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
    stdp = 0.0

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
            stdp = max(stdp, float(np.max(np.abs(dw), initial=0.0)))
        if post is not None:                                          # synapses, post pathway
            idx = np.flatnonzero(np.isin(j, post))
            decay(idx, t)
            apost[idx] = apost[idx] + f(1)
            w[idx] = w[idx] + apre[idx]
            last[idx] = t
            stdp = max(stdp, float(np.max(np.abs(apre[idx]), initial=0.0)))
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


# --- tolerance and comparison ------------------------------------------------------------------------
@dataclass(frozen=True)
class MetaTolerance:
    w: float
    total: float
    A_minus: float
    r: float


def meta_tolerance(ref: MetaObservables, n_steps: int, dtype: str) -> MetaTolerance:
    """Bound on the difference of two implementations that round each operation (exp within an ulp) and
    sum S in any order; derived like the growth bound (harness/tolerance.py), extended with spike events:

        rho       = 2 * (n + Q + 2) * eps                 relative, on r and A_minus
        tol_w     = 2 * eps * (W * (E * (N + 2) + 4) + K * (W + M * (3 * K + 2 * n + 2 * Q + 6)))
        tol_total = tol_w * (N + 1);   tol_A = rho * max|A_minus|;   tol_r = rho * max|r|

    n = time steps, E = normalization events, N = largest in-degree, Q = most post spikes of one neuron,
    K = most STDP updates of one weight (pre spikes of its source + post spikes of its target),
    W = max|w|, M = largest |dw| of one STDP update (oracle), eps = machine epsilon of `dtype`.
    rho: r is multiplied by a hoisted exp(-dt/tau_r) every step (constant and product may each differ by an
    ulp: 2 eps per step) and gets a rounded 1/tau_r per post spike. Weights: E*(N+2) is the growth bound of
    the normalization sums; each STDP update rounds w once (K*W), reads a trace carrying up to 3 roundings
    per earlier event (3K*M) and, for LTD, an A_minus off by rho (2(n+Q+2)*M). The leading 2: a normalization
    projects the error vector with I - 11^T/N, whose max-norm is below 2 and which is idempotent.
    """
    e = eps(dtype)
    tiny = float(np.finfo(np.dtype(dtype)).tiny)
    n_post = ref.post_count.size
    n_max = int(np.max(np.bincount(ref.j, minlength=n_post), initial=0))
    k_max = int(np.max(ref.pre_count[ref.i] + ref.post_count[ref.j], initial=0))
    q_max = int(np.max(ref.post_count, initial=0))
    n_events = ref.w.shape[0]
    if not math.isfinite(ref.stdp_step):
        raise ValueError("meta_tolerance needs the oracle's observables (stdp_step is NaN)")
    W = max(float(np.max(np.abs(ref.w), initial=0.0)), tiny)
    M = ref.stdp_step
    rho = 2 * (n_steps + q_max + 2) * e
    tol_w = 2 * e * (W * (n_events * (n_max + 2) + 4) + k_max * (W + M * (3 * k_max + 2 * n_steps + 2 * q_max + 6)))
    return MetaTolerance(w=tol_w, total=tol_w * (n_max + 1),
                         A_minus=rho * max(float(np.max(np.abs(ref.A_minus), initial=0.0)), tiny),
                         r=rho * max(float(np.max(np.abs(ref.r), initial=0.0)), tiny))


@dataclass(frozen=True)
class MetaComparison:
    ok: bool
    errors: dict          # observable -> max abs error (inf on a non-finite value or a shape mismatch)
    tolerance: MetaTolerance
    reason: str


def compare_meta(got: MetaObservables, ref: MetaObservables, tol: MetaTolerance) -> MetaComparison:
    """Every observable within its tolerance; spike counts exactly equal (spikes are inputs)."""
    pairs = {"w": (got.w, ref.w, tol.w), "total": (got.totals(), ref.totals(), tol.total),
             "A_minus": (got.A_minus, ref.A_minus, tol.A_minus), "r": (got.r, ref.r, tol.r),
             "pre_count": (got.pre_count, ref.pre_count, 0.0), "post_count": (got.post_count, ref.post_count, 0.0)}
    errors, reasons = {}, []
    for name, (a, b, t) in pairs.items():
        a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
        if a.shape != b.shape:
            errors[name] = float("inf")
            reasons.append(f"{name}: shape {a.shape} vs reference {b.shape}")
            continue
        d = np.abs(a - b)
        errors[name] = float(np.max(d, initial=0.0)) if np.all(np.isfinite(a)) else float("inf")
        if errors[name] > t:
            where = tuple(int(x) for x in np.unravel_index(int(np.nanargmax(np.where(np.isfinite(d), d, np.inf))),
                                                           d.shape)) if d.size else ()
            reasons.append(f"{name}{list(where)}: {a[where]!r} vs {b[where]!r}, off by {errors[name]:.3g} > tol {t:.3g}")
    return MetaComparison(not reasons, errors, tol, "; ".join(reasons) or "within tolerance")
