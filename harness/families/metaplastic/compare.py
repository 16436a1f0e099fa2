"""Metaplastic family: per-neuron tolerances and the comparison of two sets of observables."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from brian2_harness.families.bounds import eps
from brian2_harness.families.metaplastic.observables import MetaObservables
from brian2_harness.nonfinite import differences, finite_abs, over_bound


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
        np.maximum.at(W, ref.j, np.max(finite_abs(ref.w), axis=0))
    M = np.asarray(ref.stdp_step, dtype=np.float64)
    rho = 2 * (n_steps + q + 2) * e
    tol_w = 2 * e * (W * (n_events * (n_in + 2) + 4) + k * (W + M * (3 * k + 2 * n_steps + 2 * q + 6)))

    def per_neuron_max(a):
        a = finite_abs(a)
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
    first: dict | None = None         # the first observable beyond its bound, as data


def compare_meta(got: MetaObservables, ref: MetaObservables, tol: MetaTolerance) -> MetaComparison:
    """Every observable within its neuron's bound; spike counts exactly equal (spikes are inputs)."""
    pairs = {"w": (got.w, ref.w, tol.w[ref.j][None, :]), "total": (got.totals(), ref.totals(), tol.total[None, :]),
             "A_minus": (got.A_minus, ref.A_minus, tol.A_minus[None, :]), "r": (got.r, ref.r, tol.r[None, :]),
             "pre_count": (got.pre_count, ref.pre_count, 0.0), "post_count": (got.post_count, ref.post_count, 0.0)}
    errors, reasons = {}, []
    ratio, worst_post, first = 0.0, None, None
    for name, (a, b, t) in pairs.items():
        a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
        if a.shape != b.shape:
            errors[name] = float("inf")
            reasons.append(f"{name}: shape {a.shape} vs reference {b.shape}")
            ratio = float("inf")
            continue
        d = differences(a, b)          # nonfinite.py: NaN/inf on one side only (the reference's too) is inf
        errors[name] = float(np.max(d, initial=0.0))
        t = np.broadcast_to(np.asarray(t, dtype=np.float64), d.shape)
        if name in ("w", "total", "A_minus", "r") and d.size:
            r = np.where(d == 0, 0.0, d / np.maximum(t, 1e-300))
            k = int(np.argmax(r))
            if float(r.ravel()[k]) >= ratio:
                ratio = float(r.ravel()[k])
                col = int(np.unravel_index(k, d.shape)[-1])
                worst_post = int(ref.j[col]) if name == "w" else col
        over = over_bound(a, b, t)
        if over.any():
            where = tuple(int(x) for x in np.argwhere(over)[0])
            if first is None:
                first = {"observable": name, "event": where[0] if len(where) > 1 else None, "index": where[-1],
                         "post": int(ref.j[where[-1]]) if name == "w" else (where[-1] if name != "pre_count" else None),
                         "device": float(a[where]), "reference": float(b[where]), "diff": float(a[where] - b[where]),
                         "tolerance": float(t[where]), "explanation": ""}
            reasons.append(f"{name}{list(where)}: {a[where]!r} vs {b[where]!r}, off by {float(d[where]):.3g} > tol "
                           f"{float(t[where]):.3g} (largest error {errors[name]:.3g})")
    return MetaComparison(not reasons, errors, tol, "; ".join(reasons) or "within tolerance", ratio, worst_post, first)
