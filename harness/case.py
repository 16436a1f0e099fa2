"""A `Case`: one network to verify, validated on construction and serializable to JSON losslessly.

Floats travel through JSON as Python's shortest round-trip repr, so `Case.from_json(c.to_json()) == c`.
"""
from __future__ import annotations

import dataclasses
import json
import math
from dataclasses import dataclass, field

from .errors import CaseError, UsageError

DTYPES = ("float64", "float32")
CASE_FORMAT = "brian2-harness-case/1"

# Resource bounds: a case larger than this is rejected before anything is built.
MAX_SYNAPSES = 200_000
MAX_NEURONS = 100_000
MAX_STEPS = 2_000_000


def _is_multiple(x: float, step: float) -> bool:
    k = round(x / step)
    return k >= 1 and math.isclose(k * step, x, rel_tol=1e-9, abs_tol=0.0)


class JsonCase:
    """JSON round trip shared by every case type: a format tag, unknown/missing fields named."""

    FORMAT = CASE_FORMAT
    KIND = "case"

    @classmethod
    def from_dict(cls, d: dict):
        if not isinstance(d, dict):
            raise UsageError(f"a {cls.KIND} must be a JSON object, got {type(d).__name__}")
        names = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(d) - names)
        if unknown:
            raise CaseError(unknown[0], f"unknown field; allowed fields: {', '.join(sorted(names))}")
        missing = [n for n in ("n_pre", "n_post") if n not in d]
        if missing:
            raise CaseError(missing[0], "is required")
        return cls(**d)

    def to_json(self) -> str:
        return json.dumps({"format": self.FORMAT, **self.to_dict()})

    @classmethod
    def from_json(cls, text: str):
        try:
            d = json.loads(text)
        except json.JSONDecodeError as exc:
            raise UsageError(f"{cls.KIND} JSON is not valid JSON: {exc}") from None
        if isinstance(d, dict):
            fmt = d.pop("format", cls.FORMAT)
            if fmt != cls.FORMAT:
                raise UsageError(f"case format '{fmt}' is not supported (expected '{cls.FORMAT}')")
        return cls.from_dict(d)


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
        # Normalize sequences to tuples of Python scalars so that equality and hashing work.
        for name, conv in (("i", int), ("j", int), ("w0", float)):
            value = getattr(self, name)
            try:
                object.__setattr__(self, name, tuple(conv(v) for v in value))
            except (TypeError, ValueError) as exc:
                raise CaseError(name, f"must be a sequence of numbers ({exc})") from None
        validate(self)

    # --- derived sizes -------------------------------------------------------------------------
    @property
    def n_synapses(self) -> int:
        return len(self.i)

    @property
    def n_steps(self) -> int:
        return int(round(self.duration / self.dt))

    @property
    def steps_per_period(self) -> int:
        return int(round(self.period / self.dt))

    @property
    def n_events(self) -> int:
        return int(round(self.duration / self.period))

    @property
    def schedule_key(self) -> tuple:
        """Cases with equal keys can share one simulated network (same clocks, same precision)."""
        return (self.dt, self.period, self.duration, self.dtype)

    def replace(self, **changes) -> "Case":
        return dataclasses.replace(self, **changes)

    # --- JSON ----------------------------------------------------------------------------------
    def to_dict(self) -> dict:
        d = dataclasses.asdict(self)
        d["i"], d["j"], d["w0"] = list(self.i), list(self.j), list(self.w0)
        return d


def _require_int(case: Case, name: str, low: int, high: int) -> None:
    value = getattr(case, name)
    if isinstance(value, bool) or not isinstance(value, int):
        raise CaseError(name, f"must be an integer, got {value!r}")
    if not low <= value <= high:
        raise CaseError(name, f"must be between {low} and {high}, got {value}")


def _require_float(case: Case, name: str, positive: bool) -> float:
    value = getattr(case, name)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise CaseError(name, f"must be a number, got {value!r}")
    if not math.isfinite(value):
        raise CaseError(name, f"must be finite, got {value!r}")
    if positive and value <= 0:
        raise CaseError(name, f"must be > 0, got {value!r}")
    return float(value)


def validate_connectivity(case) -> None:
    """Sizes, indices and weights: the part every case type shares."""
    _require_int(case, "n_pre", 1, MAX_NEURONS)
    _require_int(case, "n_post", 1, MAX_NEURONS)
    n = len(case.i)
    if len(case.j) != n:
        raise CaseError("j", f"must have the same length as i ({n}), got {len(case.j)}")
    if len(case.w0) != n:
        raise CaseError("w0", f"must have the same length as i ({n}), got {len(case.w0)}")
    if n > MAX_SYNAPSES:
        raise CaseError("i", f"{n} synapses exceed the limit of {MAX_SYNAPSES} per case")
    for name, upper in (("i", case.n_pre), ("j", case.n_post)):
        for k, v in enumerate(getattr(case, name)):
            if not 0 <= v < upper:
                raise CaseError(name, f"index {v} at position {k} is out of range [0, {upper - 1}]")
    for k, w in enumerate(case.w0):
        if not math.isfinite(w):
            raise CaseError("w0", f"weight at position {k} is {w!r}; weights must be finite")


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


def estimated_bytes(case) -> int:
    """Rough memory a case needs in a run: recorded weights (before/after each event), per-synapse and
    per-neuron state, and for cases with spike trains the post-spike drive table (n_steps x n_post)."""
    n_syn = len(case.i)
    events = int(round(case.duration / case.period))
    total = 8 * (n_syn * (2 * events + 6) + 4 * (case.n_pre + case.n_post))
    if hasattr(case, "post_spikes"):
        total += 8 * case.n_steps * case.n_post
    return total


def check_limits(cases, max_synapses: int = MAX_SYNAPSES, max_memory_mb: float = 2048.0) -> None:
    """Reject, before anything is built, a case above the configured limits (named in the message)."""
    for k, c in enumerate(cases):
        label = c.name or f"#{k}"
        if len(c.i) > max_synapses:
            raise UsageError(f"case {label}: {len(c.i)} synapses exceed the limit --max-synapses={max_synapses}")
        mb = estimated_bytes(c) / 2**20
        if mb > max_memory_mb:
            raise UsageError(f"case {label}: estimated memory {mb:.0f} MB exceeds the limit "
                             f"--max-memory-mb={max_memory_mb:g}")
