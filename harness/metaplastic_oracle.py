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
    `stdp_step` (oracle only, None from devices): per post neuron, the largest |dw| of one STDP update of an
    incoming weight, a scale for that neuron's tolerance."""

    w: np.ndarray
    A_minus: np.ndarray
    r: np.ndarray
    pre_count: np.ndarray
    post_count: np.ndarray
    i: np.ndarray
    j: np.ndarray
    stdp_step: np.ndarray | None = None

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
                               i=self.i[b.syn] - b.pre.start, j=self.j[b.syn] - b.post.start,
                               stdp_step=None if self.stdp_step is None else self.stdp_step[b.post])

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


# --- tolerance and comparison ------------------------------------------------------------------------
@dataclass(frozen=True)
class MetaTolerance:
    """Bounds per post neuron, each an array of shape (n_post,)."""

    w: np.ndarray
    total: np.ndarray
    A_minus: np.ndarray
    r: np.ndarray


def meta_tolerance(ref: MetaObservables, n_steps: int, dtype: str) -> MetaTolerance:
    """Bound on the difference of two implementations that round each operation (exp within an ulp) and
    sum S in any order; derived like the growth bound (harness/tolerance.py), extended with spike events,
    per post neuron i from its own quantities:

        rho_i       = 2 * (n + Q_i + 2) * eps                 relative, on r_i and A_minus_i
        tol_w[i]    = 2 * eps * (W_i * (E * (N_i + 2) + 4) + K_i * (W_i + M_i * (3 * K_i + 2 * n + 2 * Q_i + 6)))
        tol_total_i = tol_w[i] * (N_i + 1);   tol_A_i = rho_i * max|A_minus_i|;   tol_r_i = rho_i * max|r_i|

    n = time steps, E = normalization events, N_i = in-degree of i, Q_i = post spikes of i,
    K_i = most STDP updates of one incoming weight (pre spikes of its source + post spikes of i),
    W_i = max|w| of i's synapses, M_i = largest |dw| of one STDP update on them (oracle), eps = machine epsilon.
    rho: r is multiplied by a hoisted exp(-dt/tau_r) every step (constant and product may each differ by an
    ulp: 2 eps per step) and gets a rounded 1/tau_r per post spike. Weights: E*(N+2) is the growth bound of
    the normalization sums; each STDP update rounds w once (K*W), reads a trace carrying up to 3 roundings
    per earlier event (3K*M) and, for LTD, an A_minus off by rho (2(n+Q+2)*M). The leading 2: a normalization
    projects the error vector with I - 11^T/N, whose max-norm is below 2 and which is idempotent.
    """
    e = eps(dtype)
    tiny = float(np.finfo(np.dtype(dtype)).tiny)
    n_post = ref.post_count.size
    if ref.stdp_step is None:
        raise ValueError("meta_tolerance needs the oracle's observables (stdp_step is missing)")
    n_in = np.bincount(ref.j, minlength=n_post)
    k = np.zeros(n_post)
    if ref.j.size:
        np.maximum.at(k, ref.j, (ref.pre_count[ref.i] + ref.post_count[ref.j]).astype(np.float64))
    q = ref.post_count.astype(np.float64)
    n_events = ref.w.shape[0]
    W = np.full(n_post, tiny)
    if ref.w.size:
        np.maximum.at(W, ref.j, np.max(np.abs(ref.w.astype(np.float64)), axis=0))
    M = np.asarray(ref.stdp_step, dtype=np.float64)
    rho = 2 * (n_steps + q + 2) * e
    tol_w = 2 * e * (W * (n_events * (n_in + 2) + 4) + k * (W + M * (3 * k + 2 * n_steps + 2 * q + 6)))

    def per_neuron_max(a):
        a = np.abs(np.asarray(a, dtype=np.float64))
        return np.maximum(np.max(a, axis=0), tiny) if a.size else np.full(n_post, tiny)
    return MetaTolerance(w=tol_w, total=tol_w * (n_in + 1), A_minus=rho * per_neuron_max(ref.A_minus),
                         r=rho * per_neuron_max(ref.r))


@dataclass(frozen=True)
class MetaComparison:
    ok: bool
    errors: dict          # observable -> max abs error (inf on a non-finite value or a shape mismatch)
    tolerance: MetaTolerance
    reason: str
    ratio: float = 0.0                # largest error / bound over w, totals, A_minus and r
    worst_post: int | None = None     # post neuron of that largest ratio


def compare_meta(got: MetaObservables, ref: MetaObservables, tol: MetaTolerance) -> MetaComparison:
    """Every observable within its neuron's bound; spike counts exactly equal (spikes are inputs)."""
    pairs = {"w": (got.w, ref.w, tol.w[ref.j][None, :]), "total": (got.totals(), ref.totals(), tol.total[None, :]),
             "A_minus": (got.A_minus, ref.A_minus, tol.A_minus[None, :]), "r": (got.r, ref.r, tol.r[None, :]),
             "pre_count": (got.pre_count, ref.pre_count, 0.0), "post_count": (got.post_count, ref.post_count, 0.0)}
    errors, reasons = {}, []
    ratio, worst_post = 0.0, None
    for name, (a, b, t) in pairs.items():
        a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
        if a.shape != b.shape:
            errors[name] = float("inf")
            reasons.append(f"{name}: shape {a.shape} vs reference {b.shape}")
            ratio = float("inf")
            continue
        d = np.abs(a - b)
        d = np.where(np.isfinite(a), d, np.inf)
        errors[name] = float(np.max(d, initial=0.0))
        t = np.broadcast_to(np.asarray(t, dtype=np.float64), d.shape)
        if name in ("w", "total", "A_minus", "r") and d.size:
            r = np.where(d == 0, 0.0, d / np.maximum(t, 1e-300))
            k = int(np.argmax(r))
            if float(r.ravel()[k]) >= ratio:
                ratio = float(r.ravel()[k])
                col = int(np.unravel_index(k, d.shape)[-1])
                worst_post = int(ref.j[col]) if name == "w" else col
        over = d > t
        if over.any():
            where = tuple(int(x) for x in np.argwhere(over)[0])
            reasons.append(f"{name}{list(where)}: {a[where]!r} vs {b[where]!r}, off by {float(d[where]):.3g} > tol "
                           f"{float(t[where]):.3g} (largest error {errors[name]:.3g})")
    return MetaComparison(not reasons, errors, tol, "; ".join(reasons) or "within tolerance", ratio, worst_post)
