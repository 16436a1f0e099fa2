"""How every comparison treats NaN and ±inf: a non-finite value is a difference unless both sides hold the same one.

NaN and NaN at the same place agree, +inf and +inf agree, -inf and -inf agree; NaN against 1.0, +inf against -inf
and NaN against +inf differ. A bound that is not finite (computed from a NaN, or a NaN tolerance) never lets a
difference pass: `x <= NaN` is False, so "within the bound" is asked as `err <= bound`, never as `not err > bound`.

Used by the device comparison (check/exact.py, check/difference.py), the noise floor (check/floor.py), the
statistics (check/stats.py, check/pvalues.py) and the model families' comparisons (families/). numpy only.
"""
from __future__ import annotations

import math

import numpy as np


def same_nonfinite(a, b) -> np.ndarray:
    """Element-wise: both sides hold the same non-finite value (NaN and NaN, +inf and +inf, -inf and -inf)."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    return (np.isnan(a) & np.isnan(b)) | (np.isinf(a) & (a == b))


def nonfinite_mismatch(a, b) -> np.ndarray:
    """Element-wise: a non-finite value on either side that the other side does not hold at the same place."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    return ~(np.isfinite(a) & np.isfinite(b)) & ~same_nonfinite(a, b)


def differences(a, b) -> np.ndarray:
    """|a - b| element by element: 0 where both hold the same non-finite value, inf where only one side is not
    finite (or they hold different non-finite values)."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    with np.errstate(invalid="ignore", over="ignore"):
        d = np.abs(a - b)
    d = np.where(np.isfinite(d), d, np.inf)
    return np.where(same_nonfinite(a, b), 0.0, d)


def exceeds(err, bound) -> np.ndarray:
    """Element-wise (broadcast): `err` is not within `bound`. A NaN or infinite error, or a bound that is not
    finite, always exceeds (an unknown bound passes nothing)."""
    err, bound = np.asarray(err, dtype=np.float64), np.asarray(bound, dtype=np.float64)
    with np.errstate(invalid="ignore"):
        within = np.isfinite(err) & np.isfinite(bound) & (err <= bound)
    return ~within


def over_bound(a, b, bound) -> np.ndarray:
    """Element-wise: device values `a` differ from reference values `b` by more than `bound`, by the rule above
    (the same non-finite value on both sides is never over, whatever the bound there)."""
    return exceeds(differences(a, b), bound) & ~same_nonfinite(a, b)


def finite_abs(values) -> np.ndarray:
    """|values| with every NaN and inf as 0: for scales and bounds that a non-finite value must not poison."""
    v = np.abs(np.asarray(values, dtype=np.float64))
    return np.where(np.isfinite(v), v, 0.0)


def finite_scale(values) -> float:
    """The largest |value| among the finite ones (0 when there is none): a scale a NaN or inf cannot poison."""
    v = np.abs(np.asarray(values, dtype=np.float64)).ravel()
    v = v[np.isfinite(v)]
    return float(v.max()) if v.size else 0.0


def beyond(err: float, bound: float) -> bool:
    """Scalar `exceeds`."""
    return not (math.isfinite(err) and math.isfinite(bound) and err <= bound)


def p_value(p: float) -> float:
    """A p-value to test: one that could not be computed (NaN) is 0 (rejected), never a pass."""
    p = float(p)
    return p if p == p else 0.0


def counts(values) -> tuple[int, int, int]:
    """(NaN, +inf, -inf) counts of `values`."""
    v = np.asarray(values, dtype=np.float64)
    return int(np.isnan(v).sum()), int(np.isposinf(v).sum()), int(np.isneginf(v).sum())
