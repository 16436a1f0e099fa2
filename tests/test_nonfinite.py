"""NaN and ±inf in every comparison (issue 35): a non-finite value is a difference unless both sides hold the same
one at the same place. No Brian: the rule itself, the device comparison (exact, first difference, noise floor),
the statistics, the model families' comparisons, and `--against`, `history` and the plugin's baseline through a
stand-in for the device processes (test_script_baseline.py's).

Negative controls: the rule replaced by the comparison it fixed (`err > bound`, blind to a NaN bound) lets the NaN
reference pass the same checks, so these tests can fail; values within the tolerance still agree next to a NaN
or inf."""
import json

import numpy as np
import pytest
from test_script_baseline import SCRIPT, fake_devices  # noqa: F401  (fixture)

from brian2_harness import nonfinite
from brian2_harness.check import against, difference, exact, floor, pvalues, records, stats
from brian2_harness.cli import main
from brian2_harness.families.custom.compare import compare_arrays
from brian2_harness.families.growth.case import default_case
from brian2_harness.families.growth.compare import compare_growth
from brian2_harness.families.growth.network import pack
from brian2_harness.families.growth.observables import GrowthObservables
from brian2_harness.families.growth.oracle import simulate
from brian2_harness.upgrade.changes import _max_diff

pytest_plugins = ["pytester"]
NAN, INF = float("nan"), float("inf")


# --- the rule -------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("a, b, differ", [
    (NAN, NAN, False), (INF, INF, False), (-INF, -INF, False), (1.0, 1.0, False),
    (NAN, 1.0, True), (1.0, NAN, True), (INF, -INF, True), (NAN, INF, True), (INF, 1.0, True), (1.0, -INF, True)])
def test_the_rule_same_nonfinite_value_agrees_anything_else_differs(a, b, differ):
    assert bool(nonfinite.nonfinite_mismatch(a, b)) == (differ and not (np.isfinite(a) and np.isfinite(b)))
    assert bool(nonfinite.over_bound(a, b, 1e-9)) == differ
    assert nonfinite.differences(a, b) == (INF if differ else 0.0)


def test_an_unknown_bound_passes_nothing_and_the_same_nonfinite_value_needs_no_bound():
    assert nonfinite.exceeds(0.0, NAN) and nonfinite.exceeds(INF, INF) and nonfinite.exceeds(NAN, 1.0)
    assert not nonfinite.exceeds(0.5, 1.0) and nonfinite.exceeds(1.5, 1.0)
    assert nonfinite.over_bound([NAN, 1.0], [NAN, 1.0], NAN).tolist() == [False, True]
    assert nonfinite.beyond(INF, INF) and nonfinite.beyond(1.0, NAN) and not nonfinite.beyond(1.0, 2.0)
    assert nonfinite.finite_scale([NAN, -3.0, INF]) == 3.0 and nonfinite.finite_scale([NAN]) == 0.0
    assert nonfinite.p_value(NAN) == 0.0 and nonfinite.p_value(0.3) == 0.3


# --- device comparison (exact mode) ----------------------------------------------------------------------------
def _state(values, t=None):
    values = np.atleast_2d(np.asarray(values, dtype=float))
    t = np.arange(values.shape[1]) * 1e-4 if t is None else t
    return {"kind": "state", "dt": 1e-4, "unit": "V", "N": None,
            "arrays": {"t": t, "values": values, "indices": np.arange(values.shape[0])}}


def _compare(device, reference):
    return exact.compare_runs({"m.v": _state(device)}, {"m.v": _state(reference)}, exact.Tolerance(), 1e-3)


FINITE = [[0.1, 0.2, 0.3], [1.0, 2.0, 3.0]]
ALL_NAN = np.full((2, 3), NAN)


def test_a_nan_reference_fails_against_a_finite_device_and_the_reverse():
    assert not _compare(FINITE, ALL_NAN).agree
    assert not _compare(ALL_NAN, FINITE).agree
    one = np.array(FINITE)
    one[1, 2] = NAN
    res = _compare(FINITE, one)
    assert not res.agree and "NaN or infinite on one side only" in res.summary
    assert "first at index 1, t = 0.2 ms" in res.summary


def test_the_same_nan_or_inf_at_the_same_place_agrees_elsewhere_it_differs():
    ref = np.array(FINITE)
    ref[0, 1], ref[1, 0], ref[1, 2] = NAN, INF, -INF
    assert _compare(ref.copy(), ref).agree
    moved = ref.copy()
    moved[0, 1], moved[0, 2] = 0.2, NAN              # the NaN one step later
    assert not _compare(moved, ref).agree
    flipped = ref.copy()
    flipped[1, 0] = -INF                             # +inf against -inf
    assert not _compare(flipped, ref).agree


def test_inf_in_the_reference_leaves_the_bound_of_the_finite_values_finite():
    ref = np.array([[1.0, 2.0, INF]])
    near = ref.copy()
    near[0, 0] += 1e-15                               # rounding: within the derived tolerance
    assert _compare(near, ref).agree
    far = ref.copy()
    far[0, 0] += 1e-3
    res = _compare(far, ref)
    assert not res.agree and np.isfinite(res.comparisons[0].tol) and res.comparisons[0].tol < 1e-3
    rtol, atol, _ = exact.Tolerance().bounds("m.v", ref, 10)
    assert np.isfinite(atol) and atol < 1e-3


def test_a_nan_tolerance_never_passes():
    res = exact.compare_runs({"m.v": _state([[1.0, 2.0]])}, {"m.v": _state([[1.0, 2.5]])},
                             exact.Tolerance(rtol=NAN, atol=NAN), 1e-3)
    assert not res.agree


def test_negative_control_the_old_comparison_lets_the_nan_reference_pass(monkeypatch):
    """`err > bound` (what exact.py did): NaN bound, so nothing is over it. These tests would have caught it."""
    def old(a, b, bound):
        err = nonfinite.differences(a, b)
        with np.errstate(invalid="ignore"):
            return err > np.asarray(bound) + 0 * np.asarray(b, dtype=float)    # the bound is NaN where b is
    monkeypatch.setattr(exact, "over_bound_of", old)
    assert _compare(FINITE, ALL_NAN).agree
    assert not _compare(ALL_NAN, FINITE).agree


def test_first_difference_and_the_noise_floor_see_a_nan_reference():
    d = difference.first_difference({"m.v": _state(FINITE)}, {"m.v": _state(ALL_NAN)}, exact.Tolerance(), 1e-3)
    assert d is not None and d["observable"] == "m.v" and d["index"] == 0 and d["time"] == 0.0
    assert difference.first_difference({"m.v": _state(ALL_NAN)}, {"m.v": _state(ALL_NAN)}, exact.Tolerance(),
                                       1e-3) is None
    bad = _compare(FINITE, ALL_NAN)
    blown = floor.measure(bad, ["G.v"])              # a perturbed reference that went NaN: floor = inf
    outcome, reason, _ = floor.judge(bad, blown)
    assert outcome == "fail", reason
    ok = floor.measure(exact.ExactResult(True, [exact.Comparison("m.v", "state", True, False, "", 1e-9, 1e-12)],
                                         [], ""), ["G.v"])
    assert floor.judge(exact.ExactResult(False, [exact.Comparison("m.v", "state", False, False, "", 5e-9, 1e-12)],
                                         [], ""), ok)[0] == "amplified"      # control: a finite floor still works


# --- statistical mode --------------------------------------------------------------------------------------------
def _stat_runs(values_per_seed):
    return [{"m.v: mean": ("scalar", v, "V")} for v in values_per_seed]


def test_a_statistic_that_is_nan_on_every_reference_run_is_a_difference():
    rng = np.random.default_rng(2)          # a draw whose control is typical (p = 0.89), not a chance alarm
    finite = _stat_runs(rng.normal(1.0, 0.1, 8))
    res = stats.compare_statistics("numpy", {"numpy": _stat_runs([NAN] * 8), "cython": finite})
    assert not res.equivalent and "NaN values per run" in res.summary
    res = stats.compare_statistics("numpy", {"numpy": finite, "cython": _stat_runs([NAN] * 8)})
    assert not res.equivalent
    same = stats.compare_statistics("numpy", {"numpy": _stat_runs([NAN] * 8), "cython": _stat_runs([NAN] * 8)})
    assert same.equivalent and same.m == 0          # the same NaN everywhere: constant and equal
    control = stats.compare_statistics("numpy", {"numpy": finite, "cython": _stat_runs(rng.normal(1.0, 0.1, 8))})
    assert control.equivalent


def test_patterns_and_distributions_compare_where_they_are_not_finite():
    base = [np.linspace(0, 1, 6) + 0.01 * k for k in range(8)]
    holed = [np.where(np.arange(6) == 2, NAN, x) for x in base]
    moved = [np.where(np.arange(6) == 3, NAN, x) for x in base]
    for kind in ("pattern", "distribution"):
        def runs(xs):
            return [{"m.v: per element": (kind, x, "V")} for x in xs]
        assert not stats.compare_statistics("numpy", {"numpy": runs(holed), "cython": runs(base)}).equivalent
        assert stats.compare_statistics("numpy", {"numpy": runs(holed), "cython": runs(holed)}).equivalent
    pattern = [{"m.v: per element": ("pattern", x, "V")} for x in holed]
    moved_runs = [{"m.v: per element": ("pattern", x, "V")} for x in moved]
    assert not stats.compare_statistics("numpy", {"numpy": pattern, "cython": moved_runs}).equivalent


def test_a_p_value_that_could_not_be_computed_is_rejected():
    rejected, _ = pvalues.holm([NAN, 0.5], 0.01)
    assert rejected == [True, False]


# --- the model families (`run`) and `compare` of a Brian2 upgrade ---------------------------------------------------
def _growth():
    net, _ = pack([default_case()])
    return simulate(net, "aligned")


def test_growth_comparison_fails_on_a_nan_reference_and_agrees_on_the_same_nan():
    ref = _growth()
    w = ref.w_after.copy()
    w[0, 0] = NAN
    nan_ref = GrowthObservables(ref.w_before, w, ref.j, ref.n_post)
    device = GrowthObservables(ref.w_before, ref.w_after, ref.j, ref.n_post)
    assert compare_growth(device, ref, dtype="float64").ok                # control
    assert not compare_growth(device, nan_ref, dtype="float64").ok
    assert not compare_growth(nan_ref, ref, dtype="float64").ok


def test_device_against_device_arrays_and_upgrade_differences():
    ref = {"v": np.array([[1.0, NAN, INF]])}
    assert compare_arrays({"v": ref["v"].copy()}, ref, dtype="float64", n_steps=10).ok
    assert not compare_arrays({"v": np.array([[1.0, 2.0, INF]])}, ref, dtype="float64", n_steps=10).ok
    assert not compare_arrays({"v": np.array([[1.0, NAN, 3.0]])}, ref, dtype="float64", n_steps=10).ok
    assert _max_diff({"v": ref["v"]}, {"v": ref["v"].copy()}) == 0.0
    assert _max_diff({"v": np.array([1.0, 2.0, 3.0])}, {"v": np.full(3, NAN)}) == INF


def test_metaplastic_comparison_sees_a_nan_reference():
    from brian2_harness.families.metaplastic.compare import MetaTolerance, compare_meta
    from brian2_harness.families.metaplastic.observables import MetaObservables
    base = dict(w=np.ones((2, 3)), A_minus=np.ones((2, 2)), r=np.ones((2, 2)), pre_count=np.array([1, 1]),
                post_count=np.array([1, 1]), i=np.array([0, 0, 1]), j=np.array([0, 1, 1]))
    ref = MetaObservables(**base)
    tol = MetaTolerance(w=np.full(2, 1e-9), total=np.full(2, 1e-9), A_minus=np.full(2, 1e-9), r=np.full(2, 1e-9))
    w = base["w"].copy()
    w[1, 2] = NAN
    nan_ref = MetaObservables(**{**base, "w": w})
    assert compare_meta(ref, ref, tol).ok
    assert not compare_meta(ref, nan_ref, tol).ok
    assert compare_meta(nan_ref, nan_ref, tol).ok


# --- baselines: --against, history, the pytest plugin ---------------------------------------------------------------
def _nan_baseline(base):
    for npz in base.glob("model/*/seed-0/observables.npz"):
        with np.load(npz) as data:
            arrays = dict(data)
        for key in arrays:
            if key.endswith("_values"):
                arrays[key] = np.full(arrays[key].shape, NAN)
        np.savez(npz, **arrays)


def _recorded(tmp_path):
    script, base = tmp_path / "model.py", tmp_path / "base"
    script.write_text(SCRIPT)
    assert main(["check", str(script), "--devices", "numpy,cython", "--record", str(base), "--quiet"]) == 0
    return script, base


def test_an_all_nan_baseline_fails_against_finite_results(tmp_path, fake_devices, capsys):  # noqa: F811
    script, base = _recorded(tmp_path)
    assert main(["check", str(script), "--against", str(base), "--quiet"]) == 0          # control
    _nan_baseline(base)
    assert main(["check", str(script), "--against", str(base), "--quiet"]) == 1
    out = capsys.readouterr().out
    assert "against the baseline: FAIL" in out and "NaN or infinite on one side only" in out


def test_history_of_an_all_nan_baseline_is_a_change(tmp_path, fake_devices, monkeypatch, capsys):  # noqa: F811
    script = tmp_path / "model.py"
    script.write_text(SCRIPT)
    for version in ("2.5.4", "2.6.0"):
        monkeypatch.setattr(records, "environment", lambda v=version: {"brian2": v, "numpy": "1.26.4",
                                                                       "python": "3.11", "cython": "0.29"})
        assert main(["check", str(script), "--devices", "numpy,cython", "--record",
                     str(tmp_path / f"s-{version}"), "--quiet"]) == 0
    folders = [str(tmp_path / f"s-{v}") for v in ("2.5.4", "2.6.0")]
    out = tmp_path / "h.json"
    assert main(["history", *folders, "--json", str(out)]) == 0
    rows = json.loads(out.read_text())["steps"][0]["rows"]
    assert {r["status"] for r in rows} == {"identical"}                                   # control
    _nan_baseline(tmp_path / "s-2.5.4")
    assert main(["history", *folders, "--json", str(out)]) == 0
    rows = json.loads(out.read_text())["steps"][0]["rows"]
    assert {r["status"] for r in rows} == {"changed"}, rows


def test_plugin_baseline_of_nan_values_fails(pytester, fake_devices):  # noqa: F811
    pytester.makepyfile(model=SCRIPT, test_model="""
        import pytest

        @pytest.mark.brian2_devices("numpy", "cython")
        def test_model(brian2_check):
            brian2_check("model.py")
    """)
    base = pytester.path / "base"
    pytester.runpytest_inprocess("-p", "no:cacheprovider", "--brian2-baseline", str(base))        # records
    pytester.runpytest_inprocess("-p", "no:cacheprovider", "--brian2-baseline", str(base)).assert_outcomes(passed=2)
    _nan_baseline(base)
    res = pytester.runpytest_inprocess("-p", "no:cacheprovider", "--brian2-baseline", str(base))
    res.assert_outcomes(failed=2)
    assert "NaN or infinite on one side only" in res.stdout.str()


def test_against_compares_statistics_that_were_nan(tmp_path):
    rng = np.random.default_rng(3)

    def record(values):
        runs = [records.SeedRecord(s, {}, {"m.v: mean": ("scalar", float(v), "V")}) for s, v in enumerate(values)]
        return records.DeviceRecord("m.py", "numpy", "ok", "", "reference", "", "numpy", "stat", 5e-3,
                                    {"brian2": "x"}, {}, "", runs)
    base = records.load(records.save(record([NAN] * 8), tmp_path))
    assert against.compare_device(base, record(rng.normal(1, 0.1, 8))).verdict == against.FAIL
    assert against.compare_device(base, record([NAN] * 8)).verdict == against.AGREE_STAT


@pytest.mark.parametrize("option", [["--rtol", "nan"], ["--atol", "inf"], ["--tol", "m.v=nan"],
                                    ["--tol", "m.v=1e-6,inf"]])
def test_a_nan_or_infinite_tolerance_is_a_usage_error(tmp_path, fake_devices, capsys, option):  # noqa: F811
    script = tmp_path / "model.py"
    script.write_text(SCRIPT)
    assert main(["check", str(script), "--devices", "numpy,cython", "--quiet", *option]) == 2
    err = capsys.readouterr().err
    assert option[0] in err and "finite" in err and len(err.strip().splitlines()) == 1
    assert main(["check", str(script), "--devices", "numpy,cython", "--quiet", option[0],
                 option[1].replace("nan", "1e-6").replace("inf", "1e-9")]) == 0          # control: finite is fine
