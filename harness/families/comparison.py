"""What a comparison of two sets of observables says, for every family: the verdict's raw material."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Comparison:
    ok: bool
    max_abs_err: float
    max_rel_err: float
    tolerance: float          # per weight, of the neuron closest to (or furthest beyond) its bound
    total_tolerance: float
    max_total_err: float
    clip_mismatches: int      # outside the tolerance band
    boundary: int             # inside the band: reported, neither agreement nor disagreement
    reason: str
    judged: int = 0           # clip decisions judged (outside the band)
    ratio: float = 0.0        # largest |err| / bound over all weights (headroom: < 1 passes)
    detection_limit: dict | None = None   # {"min", "max"} of the per-neuron weight bounds
    lag_visible: bool | None = None       # a one-step lag g*dt exceeds the bound on every neuron with synapses
    # the first divergence as data, for the table, reports and JUnit (never parsed back out of `reason`):
    # {"observable", "event", "index", "post", "device", "reference", "diff", "tolerance", "explanation"}
    first: dict | None = None
