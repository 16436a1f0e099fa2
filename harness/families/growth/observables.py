"""Observables of the growth family, recorded at every normalization event.

A device records the weights just before and just after each event (monitors in slot `end`, around the
normalization); totals and clip decisions are derived the same way for every source, so devices and the
oracle are compared on equal terms.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from brian2_harness.families.growth.network import Block


@dataclass(frozen=True)
class GrowthObservables:
    w_before: np.ndarray   # (events, synapses)
    w_after: np.ndarray    # (events, synapses)
    j: np.ndarray          # postsynaptic index per synapse (local to this block)
    n_post: int

    def totals(self, w: np.ndarray | None = None) -> np.ndarray:
        """Per-post sums (events, n_post), in float64."""
        w = self.w_after if w is None else w
        out = np.zeros((w.shape[0], self.n_post))
        for e in range(w.shape[0]):
            out[e] = np.bincount(self.j, weights=w[e].astype(np.float64), minlength=self.n_post)
        return out

    def clipped(self) -> np.ndarray:
        """(events, n_post) bool: the rule changed at least one incoming weight of that neuron."""
        changed = self.w_after != self.w_before
        out = np.zeros((self.w_after.shape[0], self.n_post), dtype=bool)
        for e in range(changed.shape[0]):
            out[e] = np.bincount(self.j, weights=changed[e], minlength=self.n_post) > 0
        return out

    def block(self, b: Block) -> "GrowthObservables":
        return GrowthObservables(
            w_before=self.w_before[:, b.syn], w_after=self.w_after[:, b.syn],
            j=self.j[b.syn] - b.post.start, n_post=b.post.stop - b.post.start,
        )


@dataclass(frozen=True)
class OracleObservables(GrowthObservables):
    """What the oracle additionally knows: the total the rule saw and B, per event and post neuron."""

    seen_total: np.ndarray = None   # (events, n_post), float64
    target: np.ndarray = None       # (n_post,), float64
    b_error: np.ndarray = None      # (n_post,): bound on |B given to the device - B of the oracle|
    determinate: np.ndarray = None  # (events, n_post) bool: clip decisions every IEEE implementation shares

    def excess(self) -> np.ndarray:
        return self.seen_total - self.target[None, :]

    def clipped(self) -> np.ndarray:
        has_syn = np.bincount(self.j, minlength=self.n_post) > 0
        return (self.excess() > 0) & has_syn[None, :]

    def block(self, b: Block) -> "OracleObservables":
        base = GrowthObservables.block(self, b)
        return OracleObservables(
            w_before=base.w_before, w_after=base.w_after, j=base.j, n_post=base.n_post,
            seen_total=self.seen_total[:, b.post], target=self.target[b.post],
            b_error=None if self.b_error is None else self.b_error[b.post],
            determinate=None if self.determinate is None else self.determinate[:, b.post],
        )
