"""Lists as users write them in options: comma-separated, blanks and empty items ignored."""
from __future__ import annotations

from brian2_harness.errors import UsageError


def comma_list(text: str) -> list[str]:
    """'numpy, cython,' -> ['numpy', 'cython']."""
    return [x.strip() for x in (text or "").split(",") if x.strip()]


def comma_ints(text: str, option: str) -> list[int]:
    """'10,100' -> [10, 100]; anything else, or a number below 1, is a usage error naming `option`."""
    try:
        values = [int(x) for x in comma_list(text)]
    except ValueError:
        raise UsageError(f"{option}: expected comma-separated whole numbers, got {text!r}") from None
    if not values or min(values) < 1:
        raise UsageError(f"{option}: expected comma-separated whole numbers >= 1, got {text!r}")
    return values
