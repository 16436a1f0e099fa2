"""What every case type shares: JSON round trip with a format tag, connectivity validation, resource limits.

Floats travel through JSON as Python's shortest round-trip repr, so `from_json(c.to_json()) == c`.
"""
from __future__ import annotations

import dataclasses
import json
import math

from brian2_harness.errors import CaseError, UsageError

DTYPES = ("float64", "float32")
CASE_FORMAT = "brian2-harness-case/1"

# Resource bounds: a case larger than this is rejected before anything is built.
MAX_SYNAPSES = 200_000
MAX_NEURONS = 100_000
MAX_STEPS = 2_000_000


def _is_multiple(x: float, step: float) -> bool:
    k = round(x / step)
    return k >= 1 and math.isclose(k * step, x, rel_tol=1e-9, abs_tol=0.0)


def count(span: float, step: float) -> int:
    """How many `step`s make `span` (rounded: both are floats of decimal values), e.g. steps of dt in a period."""
    return int(round(span / step))


class Timed:
    """Step counts of anything with `dt`, `period` and `duration` (cases and packed networks of every family)."""

    @property
    def n_steps(self) -> int:
        return count(self.duration, self.dt)

    @property
    def steps_per_period(self) -> int:
        return count(self.period, self.dt)

    @property
    def n_events(self) -> int:
        """Normalization events: at t = 0, period, 2*period, ... < duration."""
        return count(self.duration, self.period)


class Packed(Timed):
    """Step counts and synapse count of a family's packed network (`i`: a numpy array, one entry per synapse)."""

    @property
    def n_synapses(self) -> int:
        return int(self.i.size)


class JsonCase(Timed):
    """JSON round trip shared by every case type: a format tag, unknown/missing fields named."""

    FORMAT = CASE_FORMAT
    KIND = "case"

    def freeze_sequences(self, fields) -> None:
        """Store each (name, conv, what) field as a tuple of `conv(item)`, so that equality and hashing work; a
        CaseError says the field must be a sequence of `what` when an item does not convert."""
        for name, conv, what in fields:
            try:
                object.__setattr__(self, name, tuple(conv(v) for v in getattr(self, name)))
            except (TypeError, ValueError) as exc:
                raise CaseError(name, f"must be a sequence of {what} ({exc})") from None

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


def _require_int(case, name: str, low: int, high: int) -> None:
    value = getattr(case, name)
    if isinstance(value, bool) or not isinstance(value, int):
        raise CaseError(name, f"must be an integer, got {value!r}")
    if not low <= value <= high:
        raise CaseError(name, f"must be between {low} and {high}, got {value}")


def _require_float(case, name: str, positive: bool) -> float:
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


def estimated_bytes(case) -> int:
    """Rough memory a case needs in a run: recorded weights (before/after each event), per-synapse and
    per-neuron state, and for cases with spike trains the post-spike drive table (n_steps x n_post). Fields a
    case type does not have count as zero."""
    n_syn = len(getattr(case, "i", ()))
    events = int(round(case.duration / case.period))
    n_pre, n_post = getattr(case, "n_pre", 0), getattr(case, "n_post", 0)
    total = 8 * (n_syn * (2 * events + 6) + 4 * (n_pre + n_post) + n_post * events)
    if hasattr(case, "post_spikes"):
        total += 8 * case.n_steps * case.n_post
    return total


def check_limits(cases, max_synapses: int = MAX_SYNAPSES, max_memory_mb: float = 2048.0) -> None:
    """Reject, before anything is built, a case above the configured limits (named in the message)."""
    for k, c in enumerate(cases):
        label = c.name or f"#{k}"
        n_syn = len(getattr(c, "i", ()))
        if n_syn > max_synapses:
            raise UsageError(f"case {label}: {n_syn} synapses exceed the limit --max-synapses={max_synapses}")
        mb = estimated_bytes(c) / 2**20
        if mb > max_memory_mb:
            raise UsageError(f"case {label}: estimated memory {mb:.0f} MB exceeds the limit "
                             f"--max-memory-mb={max_memory_mb:g}")
