"""What the report shows of a failing metaplastic cell: weight totals per post neuron after each normalization,
A_minus and r after each law update, device against the oracle recomputed from the case."""
from __future__ import annotations

import numpy as np

from brian2_harness.families.diagnosis import Diagnosis, png
from brian2_harness.families.metaplastic.case import pack_meta
from brian2_harness.families.metaplastic.oracle import simulate_meta

MAX_POST = 16
MAX_SYNAPSES = 64


def compact(got) -> dict:
    """The device's observables of one case, JSON-friendly and capped (results field `extra['observed']`)."""
    n_post = got.post_count.size
    keep = np.arange(min(n_post, MAX_POST))
    return {"post": keep.tolist(), "n_post": int(n_post),
            "totals": got.totals()[:, keep].tolist(),
            "A_minus": np.asarray(got.A_minus, dtype=np.float64)[:, keep].tolist(),
            "r": np.asarray(got.r, dtype=np.float64)[:, keep].tolist(),
            "w": np.asarray(got.w, dtype=np.float64)[:, :MAX_SYNAPSES].tolist(), "n_synapses": int(got.w.shape[1])}


def _panel(ax, x, got, want, title, ylabel):
    for k in range(got.shape[1]):
        ax.plot(x, got[:, k], "-o", color=f"C{k % 10}", ms=3, lw=1.2, label=f"post {k}" if got.shape[1] <= 8 else None)
        ax.plot(x, want[:, k], "--x", color=f"C{k % 10}", ms=4, lw=1, alpha=0.8)
    ax.set_title(title, fontsize=10)
    ax.set_ylabel(ylabel)
    ax.grid(alpha=0.3)
    ax.tick_params(labelsize=8)


def diagnose(cell: dict, case) -> Diagnosis:
    from matplotlib.figure import Figure


    d = Diagnosis(first=dict(cell["first"]) if cell.get("first") else None)
    obs = (cell.get("extra") or {}).get("observed")
    if case is None or not isinstance(obs, dict):
        d.problem = "no case or no device observables in the results"
        return d
    try:
        net, blocks = pack_meta([case])
        ref = simulate_meta(net).block(blocks[0])
        keep = np.asarray(obs["post"], dtype=int)
        got_t, want_t = np.asarray(obs["totals"], dtype=float), ref.totals()[:, keep]
        got_a, want_a = np.asarray(obs["A_minus"], dtype=float), np.asarray(ref.A_minus, dtype=float)[:, keep]
        got_r, want_r = np.asarray(obs["r"], dtype=float), np.asarray(ref.r, dtype=float)[:, keep]
        if got_t.shape != want_t.shape or got_a.shape != want_a.shape:
            raise ValueError(f"stored shapes {got_t.shape}/{got_a.shape} differ from the case's "
                             f"{want_t.shape}/{want_a.shape}")
    except Exception as exc:   # a malformed field must not stop the whole report
        d.problem = f"could not recompute the oracle: {type(exc).__name__}: {exc}"
        return d
    fig = Figure(figsize=(6.4, 7.2))
    top, mid, bottom = fig.subplots(3, 1)
    _panel(top, np.arange(got_t.shape[0]), got_t, want_t, "weight totals after each normalization: device (solid) "
           "vs oracle (dashed)", "total")
    top.set_xlabel(f"normalization event (every {case.period:g} s)", fontsize=8)
    _panel(mid, np.arange(got_a.shape[0]), got_a, want_a, "A_minus after each law update", "A_minus")
    _panel(bottom, np.arange(got_r.shape[0]), got_r, want_r, "rate estimate r after each law update", "r (Hz)")
    bottom.set_xlabel(f"law update (every {case.T_meta:g} s)", fontsize=8)
    if keep.size <= 8:
        top.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0)
    fig.tight_layout()
    d.figures.append(png(fig))
    err_a = np.abs(got_a - want_a)
    if err_a.size and np.all(np.isfinite(err_a)) and err_a.max() > 0:
        e, p = np.unravel_index(int(np.argmax(err_a)), err_a.shape)
        d.explanations.append(f"A_minus differs most at law update {e}, post {int(keep[p])}: the rate estimate or the "
                              f"law's timing differs (r off by {float(np.abs(got_r - want_r)[e, p]):.3g} there)")
    if obs.get("n_post", keep.size) > keep.size:
        d.notes.append(f"Plots show the first {keep.size} of {obs['n_post']} post neurons.")
    return d
