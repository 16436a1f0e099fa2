"""Observables of the metaplastic family: weights after each normalization, A_minus and r after each law update,
spike counts; recorded by devices and produced by the oracle alike."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from brian2_harness.families.metaplastic.case import MetaBlock, MetaNetwork


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


