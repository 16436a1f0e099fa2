"""Where two runs of a script first differ, and how much room an agreement had, as data (not text).

`first_difference` names the observable, the index (neuron / element), the time, both values and the unit of the
first point beyond the exact mode's bound (exact.py), and keeps a window of both traces around it (or both spike
rasters, for a spike train) so that a report can plot it without the run's arrays. `headroom` gives, per
observable, the largest difference and the bound it was judged against (ratio < 1: inside the bound).
"""
from __future__ import annotations

import numpy as np

from .exact import Tolerance, match_spikes, over_bound

WINDOW = 40            # samples each side of the first difference kept for the plot
RASTER_STEPS = 200     # spike raster: time steps each side of the first unmatched spike
MAX_RASTER = 2000      # spikes kept per device in a raster window


def _floats(x) -> list:
    return [float(v) if np.isfinite(v) else None for v in np.asarray(x, dtype=float).ravel()]


def _over(name: str, a: np.ndarray, b: np.ndarray, tol: Tolerance, n_steps: int) -> np.ndarray:
    """Where device values `a` are beyond the exact mode's bound around reference values `b` (exact.over_bound:
    the same rule, NaN and inf included)."""
    return over_bound(name, a, b, tol, n_steps)[0]


def _n_steps(o: dict, t_end: float) -> int:
    dt = o.get("dt")
    return int(round(t_end / dt)) if dt else int(round(t_end / 1e-4))


def _state_difference(name, a, b, tol, t_end) -> dict | None:
    A, B = a["arrays"], b["arrays"]
    va, vb = np.asarray(A["values"]), np.asarray(B["values"])
    if va.shape != vb.shape or va.ndim != 2:
        return None
    over = _over(name, va, vb, tol, _n_steps(b, t_end))
    if not over.any():
        return None
    col = int(np.flatnonzero(over.any(axis=0))[0])
    row = int(np.flatnonzero(over[:, col])[0])
    t = np.asarray(B["t"], dtype=float)
    lo, hi = max(0, col - WINDOW), min(len(t), col + WINDOW + 1)
    indices = np.asarray(B.get("indices", np.arange(va.shape[0])))
    return {"observable": name, "kind": "state", "index": int(indices[row]) if row < len(indices) else row,
            "time": float(t[col]), "device_value": float(va[row, col]), "reference_value": float(vb[row, col]),
            "unit": b.get("unit", ""), "points_over": int(over.sum()), "points": int(over.size),
            "window": {"t": _floats(t[lo:hi]), "device": _floats(va[row, lo:hi]),
                       "reference": _floats(vb[row, lo:hi])}}


def _spike_difference(name, a, b, tol) -> dict | None:
    A, B = a["arrays"], b["arrays"]
    dt = b.get("dt") or a.get("dt") or 1e-4
    _, _, unmatched, first = match_spikes(A["i"], A["t"], B["i"], B["t"], dt)
    if unmatched <= tol.max_spike_mismatch or first is None:
        return None
    neuron, t0 = first
    lo, hi = t0 - RASTER_STEPS * dt, t0 + RASTER_STEPS * dt

    def raster(X):
        t, i = np.asarray(X["t"], dtype=float), np.asarray(X["i"])
        keep = np.flatnonzero((t >= lo) & (t <= hi))[:MAX_RASTER]
        return {"t": _floats(t[keep]), "i": [int(x) for x in i[keep]]}

    na = int(np.sum((np.asarray(A["i"]) == neuron) & (np.asarray(A["t"]) <= t0 + dt / 2)))
    nb = int(np.sum((np.asarray(B["i"]) == neuron) & (np.asarray(B["t"]) <= t0 + dt / 2)))
    return {"observable": name, "kind": "spikes", "index": int(neuron), "time": float(t0),
            "device_value": na, "reference_value": nb, "unit": "spikes of this neuron up to this time",
            "points_over": int(unmatched), "points": int(len(A["i"]) + len(B["i"])),
            "window": {"device": raster(A), "reference": raster(B), "t_min": lo, "t_max": hi}}


def _value_difference(name, a, b, tol, t_end) -> dict | None:
    va = np.asarray(a["arrays"]["values"]).ravel()
    vb = np.asarray(b["arrays"]["values"]).ravel()
    if va.shape != vb.shape or va.size == 0:
        return None
    if va.dtype.kind != "f" and vb.dtype.kind != "f":
        over = va != vb
    else:
        over = _over(name, va, vb, tol, _n_steps(b, t_end))
    if not over.any():
        return None
    k = int(np.flatnonzero(over)[0])
    lo, hi = max(0, k - WINDOW), min(va.size, k + WINDOW + 1)
    times = b["arrays"].get("t")
    time = float(np.asarray(times).ravel()[k]) if times is not None and np.asarray(times).size == va.size else None
    return {"observable": name, "kind": b["kind"], "index": k, "time": time, "device_value": float(va[k]),
            "reference_value": float(vb[k]), "unit": b.get("unit", ""), "points_over": int(over.sum()),
            "points": int(over.size), "window": {"index": list(range(lo, hi)), "device": _floats(va[lo:hi]),
                                                 "reference": _floats(vb[lo:hi])}}


def first_difference(obs: dict, ref: dict, tol: Tolerance, t_end: float) -> dict | None:
    """The earliest difference beyond the bound over every observable both runs have (None: no such point)."""
    found = []
    for name in ref:
        if name not in obs or obs[name]["kind"] != ref[name]["kind"]:
            continue
        a, b = obs[name], ref[name]
        kind = b["kind"]
        if kind == "spikes":
            d = _spike_difference(name, a, b, tol)
        elif kind == "state":
            d = _state_difference(name, a, b, tol, t_end)
        elif kind == "rate":
            d = _value_difference(name, {**a, "arrays": {"values": a["arrays"]["values"], "t": a["arrays"]["t"]}},
                                  b, tol, t_end)
        else:
            d = _value_difference(name, a, b, tol, t_end)
        if d is not None:
            found.append(d)
    if not found:
        return None
    return min(found, key=lambda d: (d["time"] if d["time"] is not None else np.inf))


def headroom(comparisons) -> list[dict]:
    """Per observable of an exact comparison: largest difference, the bound, their ratio (< 1: inside)."""
    out = []
    for c in comparisons:
        ratio = 0.0 if c.identical else (c.max_error / c.tol if c.tol else (0.0 if c.max_error == 0 else None))
        out.append({"observable": c.name, "kind": c.kind, "identical": bool(c.identical),
                    "max_difference": float(c.max_error), "bound": float(c.tol),
                    "ratio": None if ratio is None or not np.isfinite(ratio) else float(ratio),
                    "agree": c.agree, "detail": c.detail})
    return out
