"""Statistical mode: where and how often a statistic is NaN or ±inf is itself compared, never dropped unseen.

stats.py tests the finite values of each statistic. Without this module a statistic that is NaN on every run of
one device (a reference whose state variables all went NaN) would leave nothing finite to test and pass unseen.
Here (nonfinite.py's rule: the same non-finite value on both sides agrees):

* scalar and distribution statistics: per run, how many of its values are NaN, +inf, -inf; each count that is not
  the same on every run is compared between the devices with Welch's t (p by permuting the seeds; a count that is
  constant within each device and differs between them is a deterministic difference, p = 0);
* pattern statistics (one value per index): per run, which indices hold which non-finite value (0 finite, 1 NaN,
  2 +inf, 3 -inf); masks that are the same within each device and differ between them give p = 0, masks that vary
  from run to run are compared by the seed-permutation pattern test.

Each returns plain data (stats.py makes its StatTests): numpy and the project's nonfinite.py only.
"""
from __future__ import annotations

import numpy as np

from brian2_harness import nonfinite

from . import pvalues

KINDS = ("NaN", "+inf", "-inf")


def codes(values) -> np.ndarray:
    """0 where finite, 1 NaN, 2 +inf, 3 -inf."""
    v = np.asarray(values, dtype=np.float64)
    return np.select([np.isnan(v), np.isposinf(v), np.isneginf(v)], [1.0, 2.0, 3.0], 0.0)


def finite_parts(pattern: bool, a: list, b: list):
    """What stats.py tests: the finite elements (pattern: the indices finite in every run) or values of each run;
    None if nothing is left."""
    if pattern:
        if any(np.shape(x) != np.shape(b[0]) for x in a + b):
            return None
        keep = np.all([np.isfinite(np.asarray(x, dtype=float)) for x in a + b], axis=0)
        if not keep.any():
            return None
        return [np.asarray(x, dtype=float)[keep] for x in a], [np.asarray(x, dtype=float)[keep] for x in b]
    a = [np.asarray(x, dtype=float)[np.isfinite(x)] for x in a]
    b = [np.asarray(x, dtype=float)[np.isfinite(x)] for x in b]
    return (a, b) if all(len(x) for x in a + b) else None


def any_nonfinite(a: list, b: list) -> bool:
    return any(not np.all(np.isfinite(np.asarray(x, dtype=np.float64))) for x in list(a) + list(b))


def _counts_tests(a: list, b: list, needed_p: float) -> list[dict]:
    ca = np.array([nonfinite.counts(x) for x in a], dtype=float)
    cb = np.array([nonfinite.counts(x) for x in b], dtype=float)
    out = []
    for k, what in enumerate(KINDS):
        xa, xb = ca[:, k], cb[:, k]
        if np.all(xa == xb[0]) and np.all(xb == xb[0]):
            continue
        _, p, df, se = pvalues.welch_permutation(xa, xb, needed_p)
        out.append({"suffix": f" ({what} values per run)", "kind": "scalar", "unit": "", "ref_mean": float(xb.mean()),
                    "mean": float(xa.mean()), "p": p, "detectable": se, "floor": df})
    return out


def _mean_count(masks: list) -> float:
    return sum(int(np.count_nonzero(x)) for x in masks) / len(masks)


def _mask_test(a: list, b: list, needed_p: float, batch) -> list[dict]:
    if any(np.shape(x) != np.shape(b[0]) for x in a + b):
        return []
    ma, mb = [codes(x) for x in a], [codes(x) for x in b]
    if all(np.array_equal(x, mb[0]) for x in ma + mb):
        return []
    if all(np.array_equal(x, ma[0]) for x in ma) and all(np.array_equal(x, mb[0]) for x in mb):
        p, floor = 0.0, 0.0          # the same mask on every run of each device, different between them
    else:
        _, p, floor = pvalues.permutation(ma, mb, batch, needed_p)
    return [{"suffix": " (indices NaN or infinite per run)", "kind": "pattern", "unit": "", "ref_mean": _mean_count(mb),
             "mean": _mean_count(ma), "p": p, "detectable": None, "floor": floor}]


def nonfinite_tests(kind: str, a: list, b: list, needed_p: float, pattern_batch) -> list[dict]:
    """Tests of the non-finite values of one statistic (`a`: device runs, `b`: reference runs), as StatTest
    fields plus "suffix" (appended to the statistic's name); [] when they are the same on every run."""
    if not any_nonfinite(a, b):
        return []
    if kind == "pattern":
        return _mask_test(a, b, needed_p, pattern_batch)
    return _counts_tests(a, b, needed_p)


def all_nonfinite(a: list, b: list) -> bool:
    """No finite value in any run (nothing but non-finite values to compare)."""
    return not any(np.any(np.isfinite(np.asarray(x, dtype=np.float64))) for x in list(a) + list(b))
