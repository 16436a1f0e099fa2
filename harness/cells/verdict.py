"""A `Verdict` for one cell (variant, device, dtype, case): what happened and why."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field

from ..verdicts import BUILT, ERROR, FAIL, PASS, SKIP
from ..verdicts import CELL_VERDICTS as VERDICTS

__all__ = ["BUILT", "ERROR", "FAIL", "PASS", "SKIP", "VERDICTS", "Verdict", "by_row"]


def by_row(cells) -> dict[tuple, list]:
    """Cells (anything with variant, device, dtype: verdicts, upgrade changes) grouped by report row
    (variant, device, dtype), rows and cells in first-seen order."""
    groups: dict[tuple, list] = {}
    for c in cells:
        groups.setdefault((c.variant, c.device, c.dtype), []).append(c)
    return groups


@dataclass
class Verdict:
    variant: str
    device: str
    dtype: str
    case_id: str
    verdict: str
    reference: str = ""            # what it was compared with: "oracle:aligned", "device:numpy/float64"
    max_abs_err: float | None = None
    max_rel_err: float | None = None
    tolerance: float | None = None
    boundary: int = 0              # clip decisions inside the tolerance band (neither agreement nor disagreement)
    reason: str = ""
    # what the cell could see: the smallest weight deviation it is guaranteed to flag on its most ("min") and
    # least ("max") sensitive neuron, and whether a one-step lag (|g|*dt per weight) exceeds it on every neuron
    detection_limit: dict | None = None
    lag_visible: bool | None = None
    judged: int = 0                # clip decisions judged (outside the band)
    ratio: float | None = None     # largest |err| / its neuron's bound (< 1: pass)
    first: dict | None = None      # the first divergence as data (families/comparison.py)
    log: str = ""
    extra: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> "Verdict":
        return cls(**d)
