"""The cap on simulated time as users write it (`check --duration-cap`, the pytest plugin's option)."""
from __future__ import annotations

import re

from brian2_harness.errors import UsageError

UNITS = {"s": 1.0, "ms": 1e-3, "us": 1e-6, "second": 1.0, "msecond": 1e-3}


def parse_duration(text: str) -> float:
    """'200ms', '0.2 s', '0.2*second' or plain seconds -> seconds."""
    m = re.fullmatch(r"\s*([0-9.eE+-]+)\s*\*?\s*([a-z]*)\s*", text or "")
    if not m or (m.group(2) and m.group(2) not in UNITS):
        raise UsageError(f"--duration-cap: expected e.g. 200ms, 0.5s or 0.2 (seconds), got {text!r}")
    try:
        value = float(m.group(1)) * UNITS.get(m.group(2) or "s", 1.0)
    except ValueError:
        raise UsageError(f"--duration-cap: not a number: {text!r}") from None
    if value <= 0:
        raise UsageError(f"--duration-cap must be > 0, got {text!r}")
    return value
