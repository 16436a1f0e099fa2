"""Tolerances and comparisons on synthetic observables (no Brian)."""
import numpy as np
import pytest

from brian2_harness.families.custom.compare import compare_arrays
from brian2_harness.families.growth.case import default_case
from brian2_harness.families.growth.compare import compare_growth
from brian2_harness.families.growth.network import pack
from brian2_harness.families.growth.observables import GrowthObservables
from brian2_harness.families.growth.oracle import simulate
from brian2_harness.families.growth.tolerance import growth_weight_tolerance


def oracle(dtype="float64", schedule="aligned", **kw):
    net, _ = pack([default_case(dtype=dtype, **kw)])
    return simulate(net, schedule)


def as_device(o, w_before=None, w_after=None):
    return GrowthObservables(o.w_before if w_before is None else w_before,
                             o.w_after if w_after is None else w_after, o.j, o.n_post)


def test_tolerance_formula():
    eps = np.finfo(np.float64).eps
    assert growth_weight_tolerance("float64", 3, 8, 2.0) == pytest.approx(eps * 2.0 * (3 * 10 + 4))


def test_identical_passes_and_lag_fails_in_both_precisions():
    for dtype in ("float64", "float32"):
        a, lag = oracle(dtype), oracle(dtype, schedule="lagged")
        assert compare_growth(as_device(a), a, dtype=dtype, excess=a.excess()).ok
        cmp = compare_growth(as_device(lag), a, dtype=dtype, excess=a.excess(), increment=1e-5)
        assert not cmp.ok, dtype
        assert "one-step schedule lag" in cmp.reason
        assert cmp.max_abs_err == pytest.approx(1e-5, rel=0.05)
        assert cmp.tolerance < 1e-5          # the lag is above the smallest detectable deviation


def test_a_few_ulps_pass_but_beyond_tolerance_fails():
    a = oracle()
    tol = compare_growth(as_device(a), a, dtype="float64").tolerance
    w = a.w_after.copy()
    w[1, 3] += tol / 2
    assert compare_growth(as_device(a, w_after=w), a, dtype="float64").ok
    w[1, 3] += tol
    assert not compare_growth(as_device(a, w_after=w), a, dtype="float64").ok


def test_clip_boundary_is_reported_not_judged():
    a = oracle()
    excess = a.excess().copy()
    excess[0, 0] = 0.0                     # pretend post 0 sat exactly on B at event 0
    flipped = a.w_after.copy()
    cmp = compare_growth(as_device(a, w_after=flipped), a, dtype="float64", excess=excess)
    assert cmp.ok and cmp.boundary >= 1
    cmp = compare_growth(as_device(a), a, dtype="float64", excess=a.excess())
    assert cmp.boundary == 0


def test_clip_mismatch_outside_band_fails():
    a = oracle()
    w_after = a.w_before.copy()            # device never normalizes
    cmp = compare_growth(as_device(a, w_after=w_after), a, dtype="float64", excess=a.excess())
    assert not cmp.ok and cmp.clip_mismatches > 0 and "clip decision" in cmp.reason


def test_nan_fails_and_shape_mismatch_fails():
    a = oracle()
    w = a.w_after.copy()
    w[0, 0] = np.nan
    assert not compare_growth(as_device(a, w_after=w), a, dtype="float64").ok
    short = GrowthObservables(a.w_before[:1], a.w_after[:1], a.j, a.n_post)
    assert "shape" in compare_growth(short, a, dtype="float64").reason


def test_compare_arrays_device_vs_device():
    ref = {"v": np.linspace(0, 1, 10)}
    assert compare_arrays({"v": ref["v"].copy()}, ref, dtype="float64", n_steps=100).ok
    assert not compare_arrays({"v": ref["v"] + 1e-6}, ref, dtype="float64", n_steps=100).ok
    assert not compare_arrays({"u": ref["v"]}, ref, dtype="float64", n_steps=100).ok


def test_a_cell_blind_to_the_lag_says_so_and_fails_when_required():
    from brian2_harness.cells.verdict import Verdict
    from brian2_harness.run.judge import LAG_BLIND, apply_lag_policy

    def cell(visible):
        return Verdict("v", "numpy", "float32", "c", "pass", detection_limit={"min": 1e-7, "max": 2e-5},
                       lag_visible=visible)
    blind, seeing, unknown = cell(False), cell(True), cell(None)
    for v in (blind, seeing, unknown):
        apply_lag_policy(v, require_visible=False)
    assert blind.verdict == "pass" and LAG_BLIND in blind.extra["lag_note"] and "2e-05" in blind.extra["lag_note"]
    assert "lag_note" not in seeing.extra and "lag_note" not in unknown.extra
    required = cell(False)
    apply_lag_policy(required, require_visible=True)
    assert required.verdict == "fail" and "--require-lag-visible" in required.reason
    ok = cell(True)
    apply_lag_policy(ok, require_visible=True)
    assert ok.verdict == "pass"
