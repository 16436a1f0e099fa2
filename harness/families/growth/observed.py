"""A compact, JSON-friendly copy of a failing cell's device observables (results field `extra['observed']`).

Only failing cells carry it, and it is capped so that a results document stays small: the synapses and
post neurons where the device is furthest from its reference, and a window of events starting a little
before the first divergence. Reports recompute the oracle side from `extra['case']`.

Format (all lists are plain Python numbers; weights are float64 copies of the device's values):

    {"events": [e0, e1, ...],             # event indices kept (a contiguous window)
     "synapses": [s0, s1, ...],           # synapse indices kept (ascending, local to the case)
     "w_before": [[...], ...],            # events x synapses, device weights just before each event
     "w_after":  [[...], ...],            # events x synapses, just after
     "post": [p0, ...],                   # post neurons kept (ascending)
     "totals_after": [[...], ...],        # events x post, device per-post totals after each event (all synapses)
     "n_events": E, "n_synapses": N, "n_post": P}   # full sizes, to say what was left out
"""
from __future__ import annotations

import numpy as np

MAX_SYNAPSES = 32
MAX_EVENTS = 64
MAX_POST = 16


def _pick(score: np.ndarray, cap: int) -> np.ndarray:
    """Indices of the `cap` largest scores (ties: lower index first), returned ascending."""
    if score.size <= cap:
        return np.arange(score.size)
    order = np.lexsort((np.arange(score.size), -score))
    return np.sort(order[:cap])


def compact_observed(got, ref=None, tolerance: float | None = None, *, max_synapses: int = MAX_SYNAPSES,
                     max_events: int = MAX_EVENTS, max_post: int = MAX_POST) -> dict:
    """`got`: the device's `GrowthObservables` of one case; `ref`: what it was compared with (same shape)."""
    wb = np.asarray(got.w_before, dtype=np.float64)
    wa = np.asarray(got.w_after, dtype=np.float64)
    n_events, n_syn = wa.shape if wa.ndim == 2 else (0, 0)
    totals = got.totals() if n_events else np.zeros((0, got.n_post))
    if ref is not None and np.shape(ref.w_after) == wa.shape:
        d = np.maximum(np.abs(wb - np.asarray(ref.w_before, dtype=np.float64)),
                       np.abs(wa - np.asarray(ref.w_after, dtype=np.float64)))
        d = np.where(np.isfinite(d), d, np.inf)
        syn_score = d.max(axis=0, initial=0.0) if n_events else np.zeros(n_syn)
        post_score = np.abs(totals - ref.totals()).max(axis=0, initial=0.0) if n_events else np.zeros(got.n_post)
        post_score = np.where(np.isfinite(post_score), post_score, np.inf)
        bad = np.flatnonzero((d > (tolerance or 0.0)).any(axis=1)) if n_events else np.array([], dtype=int)
        first = int(bad[0]) if bad.size else 0
    else:
        syn_score, post_score, first = np.zeros(n_syn), np.zeros(got.n_post), 0
    start = max(0, min(first - 2, n_events - max_events))
    events = np.arange(start, min(n_events, start + max_events))
    syn = _pick(syn_score, max_synapses)
    post = _pick(post_score, max_post)

    def rows(a, cols):
        return [[float(x) for x in a[e, cols]] for e in events]

    return {
        "events": [int(e) for e in events],
        "synapses": [int(s) for s in syn],
        "w_before": rows(wb, syn),
        "w_after": rows(wa, syn),
        "post": [int(p) for p in post],
        "totals_after": rows(totals, post),
        "n_events": int(n_events), "n_synapses": int(n_syn), "n_post": int(got.n_post),
    }
