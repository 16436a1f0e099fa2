"""A growth-family `Case`: one network to verify, validated on construction and serializable to JSON losslessly."""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

from brian2_harness.errors import CaseError
from brian2_harness.families.cases import (  # noqa: F401
    CASE_FORMAT,
    DTYPES,
    MAX_STEPS,
    JsonCase,
    _is_multiple,
    _require_float,
    validate_connectivity,
)


@dataclass(frozen=True)
class Case(JsonCase):
    """Growth-family network: `n_pre` sources, `n_post` targets, synapses `i[k] -> j[k]` with weight `w0[k]`.

    Times are in seconds, `g` in 1/second. Normalization events happen at t = 0, period, 2*period, ... < duration.
    """

    n_pre: int
    n_post: int
    i: tuple[int, ...] = ()
    j: tuple[int, ...] = ()
    w0: tuple[float, ...] = ()
    beta: float = 1.08
    g: float = 0.1
    period: float = 1.0
    duration: float = 3.0
    dt: float = 1e-4
    dtype: str = "float64"
    name: str = field(default="", compare=False)

    def __post_init__(self):
        self.freeze_sequences((("i", int, "numbers"), ("j", int, "numbers"), ("w0", float, "numbers")))
        validate(self)

    # --- derived sizes -------------------------------------------------------------------------
    @property
    def n_synapses(self) -> int:
        return len(self.i)




    @property
    def schedule_key(self) -> tuple:
        """Cases with equal keys can share one simulated network (same clocks, same precision)."""
        return (self.dt, self.period, self.duration, self.dtype)

    def replace(self, **changes) -> "Case":
        return dataclasses.replace(self, **changes)

    # --- JSON ----------------------------------------------------------------------------------
    def to_dict(self) -> dict:
        # fields one by one, not dataclasses.asdict (a deep copy: a 1,000-case job spends 0.1 s in it)
        d = {f.name: getattr(self, f.name) for f in _FIELDS}
        d["i"], d["j"], d["w0"] = list(self.i), list(self.j), list(self.w0)
        return d


_FIELDS = dataclasses.fields(Case)


def validate(case: Case) -> None:
    """Raise `CaseError` for the first invalid field, naming it and the allowed values."""
    validate_connectivity(case)
    _require_float(case, "beta", positive=True)
    _require_float(case, "g", positive=False)
    dt = _require_float(case, "dt", positive=True)
    period = _require_float(case, "period", positive=True)
    duration = _require_float(case, "duration", positive=True)
    if case.dtype not in DTYPES:
        raise CaseError("dtype", f"must be one of {', '.join(DTYPES)}, got {case.dtype!r}")
    if not _is_multiple(period, dt):
        raise CaseError("period", f"must be a whole multiple of dt={dt}, got {period}")
    if not _is_multiple(duration, period):
        raise CaseError("duration", f"must be a whole multiple of period={period}, got {duration}")
    if duration / dt > MAX_STEPS:
        raise CaseError("duration", f"{duration / dt:.0f} time steps exceed the limit of {MAX_STEPS}")


def default_case(**changes) -> Case:
    """The documented default: 8 -> 4 all-to-all, weights 0.1..0.8, beta 1.08, g 0.1/s, 3 events."""
    i = [a for a in range(8) for _ in range(4)]
    j = [b for _ in range(8) for b in range(4)]
    w0 = [round(0.1 + 0.7 * ((7 * k) % 32) / 31, 6) for k in range(32)]
    return Case(n_pre=8, n_post=4, i=i, j=j, w0=w0, name="default", **changes)


