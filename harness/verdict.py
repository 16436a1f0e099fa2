"""A `Verdict` for one cell (variant, device, dtype, case): what happened and why."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field

PASS, FAIL, ERROR, SKIP, BUILT = "pass", "fail", "error", "skip", "built"
VERDICTS = (PASS, FAIL, ERROR, SKIP, BUILT)


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
    log: str = ""
    extra: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> "Verdict":
        return cls(**d)

    @property
    def ok(self) -> bool:
        return self.verdict in (PASS, SKIP, BUILT)
