"""Device-vs-device comparison of one run each (same seed): per-observable tolerances, spikes within ±dt.

Tolerance of a floating-point observable (default, derived; `Tolerance` overrides it per observable or globally):

    rtol = ulps_per_step · eps(dtype) · (n_steps + 1)         n_steps = simulated time / dt of the observable
    atol = (rtol + eps^0.4) · max|reference values|          (values near zero are judged on the scale)
    |a − b| ≤ atol + rtol · |b|   element by element

i.e. up to 16 ulps of rounding difference per step (exp/log implementations, fused multiply-add under
-ffast-math, summation order, the tridiagonal solve of multicompartment models), accumulating at most linearly.
The eps^0.4 term (5.4e-7 of the scale in float64, 1.7e-3 in float32) is for what no per-step ulp budget covers:
ill-conditioned steps (cancellation, linear solves) that amplify rounding differences. Measured on brian2's
examples: the HH rate functions of frompapers/Brette_2012 (x/(exp(x) − 1) near x = 0) differ between cython and
numpy by 1.0e-12 on m ≈ 0.017 after 44 steps (6e5 ulps of its scale); the passive cable of
compartmental/bipolar_cell (200 compartments) differs by 3.6e-10 V (cython) and 2.1e-9 V (cpp_standalone) from
numpy on v ≈ −70 mV, 3e-8 of the scale, deterministic on each device (numpy solves the cable equation with scipy's
banded LAPACK solver, cython and C++ with Brian's own tridiagonal solver). A real model difference (another
constant, a schedule lag of one step) is orders of magnitude larger. Integer arrays must be equal.

Spike trains (SpikeMonitor / EventMonitor): per neuron, spikes are matched greedily in time order when they lie
within ±dt of each other; `unmatched` counts the spikes of either device without a partner, `shifted` the
matched pairs that are not at the same time. The trains agree when unmatched ≤ max_spike_mismatch (default 0).
A population rate is compared through its cumulative spike count, with the same ±dt allowance.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from brian2_harness.nonfinite import differences, finite_scale, nonfinite_mismatch
from brian2_harness.nonfinite import over_bound as over_bound_of


@dataclass
class Tolerance:
    ulps_per_step: float = 16.0
    kept_fraction: float = 0.4                # ill-conditioning allowance: eps**0.4 of the scale (60 % of the bits)
    rtol: float | None = None                 # overrides the derived rtol for every observable
    atol: float | None = None
    per: dict = field(default_factory=dict)   # observable name -> (rtol, atol)
    max_spike_mismatch: int = 0

    def bounds(self, name: str, ref: np.ndarray, n_steps: int) -> tuple[float, float, str]:
        """(rtol, atol, how) for observable `name` with reference values `ref`."""
        if name in self.per:
            rtol, atol = self.per[name]
            return float(rtol), float(atol), "given"
        eps = float(np.finfo(ref.dtype).eps) if ref.dtype.kind == "f" else 0.0
        derived = self.ulps_per_step * eps * (max(int(n_steps), 0) + 1)
        rtol = self.rtol if self.rtol is not None else derived
        scale = finite_scale(ref)
        cancellation = eps ** self.kept_fraction if eps else 0.0
        atol = self.atol if self.atol is not None else (rtol + cancellation) * scale
        how = "derived" if self.rtol is None and self.atol is None else "given"
        return float(rtol), float(atol), how


@dataclass
class Comparison:
    name: str
    kind: str
    agree: bool | None            # None: not judged (see detail)
    identical: bool
    detail: str
    max_error: float = 0.0
    tol: float = 0.0
    unmatched: int = 0
    shifted: int = 0


def match_spikes(ia, ta, ib, tb, dt: float) -> tuple[int, int, int, tuple | None]:
    """(matched, shifted, unmatched, first unmatched (neuron, t)) of two spike trains, matched within ±dt."""
    window = dt * (1 + 1e-6)
    ia, ta, ib, tb = (np.asarray(x) for x in (ia, ta, ib, tb))
    oa, ob = np.lexsort((ta, ia)), np.lexsort((tb, ib))
    ia, ta, ib, tb = ia[oa], ta[oa], ib[ob], tb[ob]
    matched = shifted = unmatched = 0
    first = None
    neurons = np.union1d(np.unique(ia), np.unique(ib))
    sa = np.searchsorted(ia, neurons, "left"), np.searchsorted(ia, neurons, "right")
    sb = np.searchsorted(ib, neurons, "left"), np.searchsorted(ib, neurons, "right")
    for k, n in enumerate(neurons):
        xa, xb = ta[sa[0][k]:sa[1][k]], tb[sb[0][k]:sb[1][k]]
        if len(xa) == len(xb) and np.array_equal(xa, xb):
            matched += len(xa)
            continue
        p = q = 0
        while p < len(xa) and q < len(xb):
            d = xa[p] - xb[q]
            if abs(d) <= window:
                matched += 1
                shifted += int(abs(d) > 1e-9 * dt)
                p, q = p + 1, q + 1
            else:
                t = xa[p] if d < 0 else xb[q]
                if first is None or t < first[1]:
                    first = (int(n), float(t))
                unmatched += 1
                p, q = (p + 1, q) if d < 0 else (p, q + 1)
        rest = list(xa[p:]) + list(xb[q:])
        unmatched += len(rest)
        if rest and (first is None or min(rest) < first[1]):
            first = (int(n), float(min(rest)))
    return matched, shifted, unmatched, first


def _first_difference(over, fa, fb, t=None, indices=None, u: str = "") -> str:
    """Where the first flagged element is: index and time of a recording, else its position."""
    if t is not None and over.ndim == 2:
        col = int(np.flatnonzero(over.any(axis=0))[0])
        row = int(np.flatnonzero(over[:, col])[0])
        idx = int(indices[row]) if indices is not None and row < len(indices) else row
        return (f"; first at index {idx}, t = {t[col] * 1e3:.6g} ms (device {fa[row, col]:.10g}{u} vs reference "
                f"{fb[row, col]:.10g}{u}); over the bound at {int(over.sum())} of {over.size} points")
    k = int(np.flatnonzero(over.reshape(-1))[0])
    return (f"; first at element {k} (device {fa.reshape(-1)[k]:.10g}{u} vs reference {fb.reshape(-1)[k]:.10g}{u}); "
            f"{int(over.sum())} of {over.size} values over the bound")


def _compare_values(name, kind, a, b, tol: Tolerance, n_steps, t=None, indices=None, unit: str = "") -> Comparison:
    u = f" {unit}" if unit else ""
    a, b = np.asarray(a), np.asarray(b)
    if a.shape != b.shape:
        return Comparison(name, kind, False, False, f"shape {a.shape} vs {b.shape}")
    if a.size == 0 or np.array_equal(a, b, equal_nan=a.dtype.kind == "f"):
        return Comparison(name, kind, True, True, "identical")
    if a.dtype.kind != "f" and b.dtype.kind != "f":
        diff = np.flatnonzero(a.reshape(-1) != b.reshape(-1))
        where = _first_difference(a != b, a, b, t, indices, u)
        return Comparison(name, kind, False, False, f"{len(diff)} of {a.size} integer values differ{where}",
                          float(np.max(np.abs(a.astype(float) - b.astype(float)))), 0.0)
    over, err, bound, (rtol, atol, how) = over_bound(name, a, b, tol, n_steps)
    fa, fb = a.astype(float), b.astype(float)
    max_err = float(np.max(err))
    if not over.any():
        return Comparison(name, kind, True, False, f"max |diff| {max_err:.3g}{u} within tol ({how}: rtol "
                          f"{rtol:.2g}, atol {atol:.2g}{u})", max_err, float(np.max(bound)))
    where = _first_difference(over, fa, fb, t, indices, u)
    worst = int(np.argmax(np.where(over, err - bound, -np.inf).reshape(-1)))
    limit = float(bound.reshape(-1)[worst])
    lone = int(nonfinite_mismatch(fa, fb).sum())
    odd = f"; {lone} value(s) NaN or infinite on one side only" if lone else ""
    return Comparison(name, kind, False, False, f"off by up to {max_err:.3g}{u} > tol {limit:.3g}{u} ({how}: "
                      f"rtol {rtol:.2g}, atol {atol:.2g}{u}){odd}{where}", max_err, limit)


def over_bound(name: str, a, b, tol: Tolerance, n_steps: int):
    """(over, err, bound, (rtol, atol, how)) of device values `a` against reference values `b`, element by element
    (nonfinite.py: a NaN or inf is a difference unless both sides hold it). The bound is atol + rtol·|b| where b is
    finite; at a non-finite reference value it is atol (the values there must be the same non-finite one)."""
    a, b = np.asarray(a), np.asarray(b)
    fb = b.astype(float)
    rtol, atol, how = tol.bounds(name, b if b.dtype.kind == "f" else fb, n_steps)   # eps of the reference's dtype
    bound = atol + rtol * np.abs(np.where(np.isfinite(fb), fb, 0.0))
    err = differences(a, fb)
    return over_bound_of(a, fb, bound), err, bound, (rtol, atol, how)


def _compare_rate(name, a, b, tol: Tolerance, n_steps) -> Comparison:
    ta, ra, tb, rb = a["arrays"]["t"], a["arrays"]["values"], b["arrays"]["t"], b["arrays"]["values"]
    if len(ta) != len(tb):
        return Comparison(name, "rate", False, False, f"{len(ta)} vs {len(tb)} time points")
    if nonfinite_mismatch(ra, rb).any():
        return _compare_values(name, "rate", ra, rb, tol, n_steps)
    scale = (a.get("N") or 1) * (a.get("dt") or 1.0)
    ca, cb = np.rint(np.cumsum(ra) * scale), np.rint(np.cumsum(rb) * scale)
    if np.array_equal(ca, cb):
        return _compare_values(name, "rate", ra, rb, tol, n_steps)
    lo = np.concatenate([[0.0], cb[:-1]])
    hi = np.concatenate([cb[1:], cb[-1:]])
    lo_a = np.concatenate([[0.0], ca[:-1]])
    hi_a = np.concatenate([ca[1:], ca[-1:]])
    excess = max(float(np.max(np.maximum(lo - ca, 0))), float(np.max(np.maximum(ca - hi, 0))),
                 float(np.max(np.maximum(lo_a - cb, 0))), float(np.max(np.maximum(cb - hi_a, 0))))
    agree = excess <= tol.max_spike_mismatch
    return Comparison(name, "rate", agree, False,
                      f"cumulative spike counts differ by up to {excess:g} beyond ±dt shifts "
                      f"(totals {ca[-1]:g} vs {cb[-1]:g})", excess, float(tol.max_spike_mismatch),
                      unmatched=int(excess))


def compare_observable(name: str, a: dict, b: dict, tol: Tolerance, t_end: float, spikes_same=None) -> Comparison:
    """Compare observable `name` of a run (a) with the reference run (b)."""
    kind = b["kind"]
    dt = b.get("dt") or a.get("dt")
    n_steps = int(round(t_end / dt)) if dt else int(round(t_end / 1e-4))
    A, B = a["arrays"], b["arrays"]
    if kind != a["kind"]:
        return Comparison(name, kind, False, False, f"kind {a['kind']} vs {kind}")
    if kind == "spikes":
        matched, shifted, unmatched, first = match_spikes(A["i"], A["t"], B["i"], B["t"], dt or 1e-4)
        identical = unmatched == 0 and shifted == 0 and len(A["i"]) == len(B["i"])
        agree = unmatched <= tol.max_spike_mismatch
        detail = (f"device {len(A['i'])} vs reference {len(B['i'])} spikes: {unmatched} unmatched within ±dt, "
                  f"{shifted} shifted by one step")
        if first:
            detail += f"; first unmatched: neuron {first[0]} at t = {first[1] * 1e3:.6g} ms"
        return Comparison(name, kind, agree, identical, "identical" if identical else detail, float(unmatched),
                          float(tol.max_spike_mismatch), unmatched, shifted)
    if kind == "rate":
        return _compare_rate(name, a, b, tol, n_steps)
    if kind == "event_values":
        if not (np.array_equal(A["i"], B["i"]) and np.array_equal(A["t"], B["t"])):
            return Comparison(name, kind, None, False, "not compared: the events differ (see the spike train)")
        return _compare_values(name, kind, A["values"], B["values"], tol, n_steps, unit=b.get("unit", ""))
    if kind == "state":
        if len(A["t"]) != len(B["t"]):
            return Comparison(name, kind, False, False, f"{len(A['t'])} vs {len(B['t'])} recorded time points")
        return _compare_values(name, kind, A["values"], B["values"], tol, n_steps, t=B["t"], indices=B["indices"],
                               unit=b.get("unit", ""))
    return _compare_values(name, kind, A["values"], B["values"], tol, n_steps, unit=b.get("unit", ""))


@dataclass
class ExactResult:
    agree: bool
    comparisons: list[Comparison]
    missing: list[str]
    summary: str

    @property
    def identical(self) -> bool:
        return self.agree and all(c.identical for c in self.comparisons)


def compare_runs(obs: dict, ref: dict, tol: Tolerance, t_end: float) -> ExactResult:
    """All observables of one run against the reference run's."""
    missing = sorted(set(obs) ^ set(ref))
    comps = [compare_observable(n, obs[n], ref[n], tol, t_end) for n in ref if n in obs]
    bad = [c for c in comps if c.agree is False]
    agree = not bad and not missing and bool(comps)
    if not comps and not missing:
        summary = "nothing to compare (no observable)"
    elif agree:
        n_id = sum(c.identical for c in comps)
        summary = (f"{len(comps)} observable(s) agree" + (", all bit-identical" if n_id == len(comps)
                                                          else f" ({n_id} bit-identical)"))
    else:
        parts = [f"{c.name}: {c.detail}" for c in bad[:3]]
        if missing:
            parts.append("only on one device: " + ", ".join(missing[:5]))
        summary = f"{len(bad) + len(missing)} observable(s) differ: " + "; ".join(parts)
    return ExactResult(agree, comps, missing, summary)
