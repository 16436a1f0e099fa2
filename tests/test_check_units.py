"""`brian2-harness check` without Brian: tests, Holm, spike matching, tolerances, statistics, storage, CLI parsing."""
import math
import os
import sys

import numpy as np
import pytest

from brian2_harness.check import collect, exact, pvalues, stats
from brian2_harness.check.duration import parse_duration
from brian2_harness.check.seeding import derived_seed
from brian2_harness.cli.check import parse_tolerances
from brian2_harness.errors import UsageError


# --- p-values -------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("t, df, p", [(2.228138852, 10, 0.05), (2.570581836, 5, 0.05), (3.169272667, 10, 0.01),
                                      (1.0, 1, 0.5), (0.0, 7, 1.0), (12.706204736, 1, 0.05)])
def test_student_t_two_sided_matches_tables(t, df, p):
    assert pvalues.t_two_sided(t, df) == pytest.approx(p, rel=1e-7)


def test_t_quantile_inverts_the_tail():
    for df in (1, 3, 8.5, 30):
        for p in (0.8, 0.975, 0.9995):
            q = pvalues.t_quantile(p, df)
            assert pvalues.t_two_sided(q, df) == pytest.approx(2 * (1 - p), rel=1e-6)


def test_welch_by_hand_and_degenerate_cases():
    a, b = [1.0, 2.0, 3.0, 4.0], [2.0, 3.0, 4.0, 5.0, 6.0]
    t, p, df, se = pvalues.welch(a, b)
    va, vb = np.var(a, ddof=1), np.var(b, ddof=1)
    assert se == pytest.approx(math.sqrt(va / 4 + vb / 5))
    assert t == pytest.approx((2.5 - 4.0) / se)
    assert df == pytest.approx((va / 4 + vb / 5) ** 2 / ((va / 4) ** 2 / 3 + (vb / 5) ** 2 / 4))
    assert p == pytest.approx(pvalues.t_two_sided(t, df))
    assert pvalues.welch([1, 1, 1], [1, 1, 1])[1] == 1.0          # constant and equal
    assert pvalues.welch([1, 1, 1], [2, 2, 2])[1] == 0.0          # constant and different: a sure difference


def test_scalar_p_by_relabeling_the_seeds_and_student_where_seeds_are_too_few():
    rng = np.random.default_rng(3)
    a, b = rng.normal(0, 1, 8), rng.normal(0.8, 1, 8)
    t, p, df, se = pvalues.welch_permutation(a, b, 0.001)
    assert (t, df, se) == pvalues.welch(a, b)[:1] + pvalues.welch(a, b)[2:]
    assert p == pytest.approx(pvalues.welch(a, b)[1], abs=0.03)     # normal data: close to Student's t
    separated = pvalues.welch_permutation(list(range(8)), list(range(10, 18)), 0.001)[1]
    assert separated == pvalues.smallest_p(8, 8) == 2 / math.comb(16, 8)      # the most extreme relabeling
    assert pvalues.scalar_p_kind(4, 4, 0.001) == "t distribution"             # C(8, 4) = 70 relabelings
    assert pvalues.welch_permutation([1.0, 2, 3, 4], [5.0, 6, 7, 9], 0.001)[1] == \
        pvalues.welch([1.0, 2, 3, 4], [5.0, 6, 7, 9])[1]
    few = stats.compare_statistics("r", {"r": [{"x: mean": (stats.SCALAR, v, "")} for v in (1.0, 2, 3, 4)],
                                         "d": [{"x: mean": (stats.SCALAR, v, "")} for v in (1.5, 2, 3, 5)]})
    assert any("Student's t distribution" in n for n in few.notes)


def test_a_difference_constant_on_each_side_fails_and_says_more_seeds_would_tell():
    """2.10.1's Brette 2012 Fig5A at 2 seeds: the population rate is 0 on both numpy seeds, 0.0332 Hz on both
    cpp_standalone seeds: judged a deterministic difference (p = 0), but at 6 seeds it varies and agrees. The fail
    stands (it may be deterministic) and its reason says what a rerun with more seeds would tell."""
    def per(values):
        return [{"M: rate": (stats.SCALAR, v, "Hz")} for v in values]
    two = stats.compare_statistics("r", {"r": per([0.0, 0.0]), "d": per([0.0332, 0.0332])})
    assert not two.equivalent and "one value on every seed of each side (2 seeds)" in two.summary
    assert "more --seeds" in two.summary
    # control: a difference that varies between seeds is not described that way
    varied = stats.compare_statistics("r", {"r": per(np.arange(10) * 0.01), "d": per(5 + np.arange(10) * 0.01)})
    assert not varied.equivalent and "one value on every seed" not in varied.summary


def test_the_device_verdict_and_the_baseline_comparison_say_it_too(tmp_path):
    from brian2_harness.check import against, records
    from brian2_harness.check.script import DeviceRun, SeedRun
    from brian2_harness.check.verdict import check

    def runner(script, device, seeds, *, stat=False, perturb=0, **kwargs):
        rate = 0.0 if device == "numpy" else 0.0332
        return DeviceRun(device, "ok", "", [SeedRun(s, "ok", "", {}, {"t_end": 0.1, "notes": []}, "",
                                                    {"M: rate": (stats.SCALAR, rate, "Hz")}) for s in seeds])
    result = check(str(tmp_path / "m.py"), ["numpy", "cpp_standalone"], mode="stat", seeds=2, runner=runner)
    reason = result.devices["cpp_standalone"].reason
    assert result.verdict == "fail" and "one value on every seed of each side (2 seeds)" in reason

    def rec(rate):
        return records.DeviceRecord("m.py", "numpy", "ok", "", "reference", "", "numpy", "stat", 0.1, {}, {}, "",
                                    [records.SeedRecord(s, {}, {"M: rate": (stats.SCALAR, rate, "Hz")})
                                     for s in (0, 1)])
    res = against.compare_device(rec(0.0), rec(0.0332))
    assert res.verdict == "fail" and "one value on every seed of each side (2 seeds)" in res.reason


def test_holm_rejects_stepwise_and_adjusts():
    rejected, adjusted = pvalues.holm([0.01, 0.04, 0.03, 0.005], 0.05)
    assert rejected == [True, False, False, True]
    assert adjusted == pytest.approx([0.03, 0.06, 0.06, 0.02])
    assert pvalues.holm([0.02, 0.02], 0.05)[0] == [True, True]
    assert pvalues.holm([0.03, 0.04], 0.05)[0] == [False, False]


def test_permutation_exact_floor_and_p():
    def stat(X, masks):      # |difference of group means| for every relabeling at once
        m = masks.astype(float)
        return np.abs(m @ X / m.sum(1) - (~masks).astype(float) @ X / (~masks).sum(1))
    observed, p, floor = pvalues.permutation([1.0, 2.0, 3.0], [4.0, 5.0, 6.0], stat)
    assert observed == 3.0 and p == pytest.approx(2 / 20) and floor == pytest.approx(2 / 20)
    _, p_same, _ = pvalues.permutation([1.0, 2.0, 3.0], [1.0, 2.0, 3.0], stat)
    assert p_same > 0.5


def _mean_difference(X, masks):
    m = masks.astype(float)
    return np.abs(m @ X / m.sum(1) - (~masks).astype(float) @ X / (~masks).sum(1))


def test_sampled_relabelings_in_chunks_are_the_masks_drawn_at_once():
    whole, exact_ = pvalues.relabelings(14, 14, needed_p=0.01 / 5)
    chunked = np.concatenate(list(pvalues._chunks(14, 14, 0.01 / 5, 700)))
    assert not exact_ and chunked.shape == whole.shape and (chunked == whole).all()
    assert whole[0, :14].all() and not whole[0, 14:].any()            # the observed labeling first


def test_sampled_p_stops_at_the_exceedances_and_is_their_share_there():
    """Besag-Clifford: p = h/L at the relabeling L where the h-th statistic reaches the observed one; counted again
    here over every relabeling drawn at once (the reference)."""
    rng = np.random.default_rng(5)
    a, b = rng.normal(0, 1, 14), rng.normal(0.1, 1, 14)
    masks, _ = pvalues.relabelings(14, 14, needed_p=0.01 / 5)
    X = np.concatenate([a, b])
    observed = _mean_difference(X, masks[:1])[0]
    hits = np.flatnonzero(_mean_difference(X, masks) >= observed * (1 - 1e-12) - 1e-300)
    assert len(hits) > pvalues.EXCEEDANCES                 # far from significant: the rule stops early
    _, p, _ = pvalues.permutation(a, b, _mean_difference, 0.01 / 5)
    assert p == pvalues.EXCEEDANCES / (hits[pvalues.EXCEEDANCES - 1] + 1)
    # a clear difference never stops early: every relabeling is counted
    far = pvalues.permutation(a, b + 3.0, _mean_difference, 0.01 / 5)[1]
    assert far == pytest.approx(1 / len(masks))


def test_sampled_p_holds_its_level_under_the_null():
    """P(p <= u) <= u for the stopped p (2,000 null samples of 12 + 12 seeds, sampled relabelings): the share at
    u = 0.05 within its binomial spread, and not far below (a p that never reaches u could not fail this)."""
    rng = np.random.default_rng(11)
    ps = np.array([pvalues.welch_permutation(rng.normal(0, 1, 12), rng.exponential(1, 12) - 1, 0.001)[1]
                   for _ in range(2000)])
    assert pvalues.scalar_p_kind(12, 12, 0.001) == "permutation"
    def holds(p, u):
        return u - 4 * math.sqrt(u * (1 - u) / 2000) <= np.mean(p <= u) <= u + 3 * math.sqrt(u * (1 - u) / 2000)
    assert holds(ps, 0.05) and holds(ps, 0.2)
    assert not holds(0.7 * ps, 0.05) and not holds(0.7 * ps, 0.2)      # control: a p 30 % too small is caught


def test_detectable_difference_grows_with_stringency():
    se = 1.0
    loose, strict = pvalues.detectable(se, 10, 0.05), pvalues.detectable(se, 10, 0.001)
    assert loose == pytest.approx(pvalues.t_quantile(0.975, 10) + pvalues.t_quantile(0.8, 10))
    assert strict > loose > 0
    assert pvalues.detectable(0.0, 10, 0.05) == 0.0


# --- exact comparison -------------------------------------------------------------------------------------------
def test_spike_matching_within_one_step():
    dt = 1e-4
    i = np.array([0, 0, 1, 2])
    t = np.array([10, 20, 15, 30]) * dt
    assert exact.match_spikes(i, t, i, t, dt)[1:3] == (0, 0)
    shifted = t + np.array([0, dt, 0, 0])
    matched, n_shift, unmatched, first = exact.match_spikes(i, shifted, i, t, dt)
    assert (matched, n_shift, unmatched, first) == (4, 1, 0, None)
    far = t + np.array([0, 2 * dt, 0, 0])                          # two steps: not a partner
    matched, _, unmatched, first = exact.match_spikes(i, far, i, t, dt)
    assert matched == 3 and unmatched == 2 and first == (0, pytest.approx(20 * dt))
    matched, _, unmatched, first = exact.match_spikes(i[:3], t[:3], i, t, dt)   # a missing spike
    assert unmatched == 1 and first == (2, pytest.approx(30 * dt))


def _state(values, dt=1e-4):
    values = np.asarray(values, dtype=float)
    return dict(kind="state", dt=dt, unit="V", N=None,
                arrays={"t": np.arange(values.shape[1]) * dt, "values": values, "indices": np.arange(len(values))})


def test_derived_tolerance_counts_steps_and_flags_more():
    tol = exact.Tolerance()
    ref = np.array([[1.0, 2.0], [0.5, -1.0]])
    rtol, atol, how = tol.bounds("m.v", ref, n_steps=1000)
    eps = np.finfo(float).eps
    assert how == "derived" and rtol == pytest.approx(16 * eps * 1001)
    assert atol == pytest.approx((rtol + eps ** 0.4) * 2.0)
    near = ref + 0.5 * atol
    assert exact.compare_observable("m.v", _state(near), _state(ref), tol, t_end=0.1).agree
    off = ref.copy()
    off[1, 1] += 1e-5            # 5e-6 of the scale
    c = exact.compare_observable("m.v", _state(off), _state(ref), tol, t_end=0.1)
    assert c.agree is False and "index 1" in c.detail and "t = 0.1 ms" in c.detail
    given = exact.Tolerance(per={"m.v": (0.0, 2e-5)})
    assert exact.compare_observable("m.v", _state(off), _state(ref), given, t_end=0.1).agree


def test_float32_tolerance_uses_float32_eps():
    ref = np.ones((1, 3), dtype=np.float32)
    rtol, _, _ = exact.Tolerance().bounds("x", ref, 10)
    assert rtol == pytest.approx(16 * np.finfo(np.float32).eps * 11)


def test_rate_and_spike_observables():
    dt, N = 1e-4, 2
    def spikes(i, t):
        return dict(kind="spikes", dt=dt, unit="s", N=N, arrays={"i": np.array(i), "t": np.array(t) * dt})
    ok = exact.compare_observable("sp", spikes([0, 1], [3, 5]), spikes([0, 1], [3, 6]), exact.Tolerance(), 1e-3)
    assert ok.agree and ok.shifted == 1 and not ok.identical
    bad = exact.compare_observable("sp", spikes([0, 1], [3, 5]), spikes([0], [3]), exact.Tolerance(), 1e-3)
    assert bad.agree is False and bad.unmatched == 1
    lenient = exact.compare_observable("sp", spikes([0, 1], [3, 5]), spikes([0], [3]),
                                       exact.Tolerance(max_spike_mismatch=1), 1e-3)
    assert lenient.agree

    def rate(counts):
        return dict(kind="rate", dt=dt, unit="Hz", N=N, arrays={"t": np.arange(len(counts)) * dt,
                                                                  "values": np.array(counts) / (N * dt)})
    assert exact.compare_observable("r", rate([0, 1, 0, 0]), rate([0, 0, 1, 0]), exact.Tolerance(), 4e-4).agree
    far = exact.compare_observable("r", rate([1, 0, 0, 0]), rate([0, 0, 1, 0]), exact.Tolerance(), 4e-4)
    assert far.agree is False


def test_compare_runs_reports_missing_and_integer_differences():
    a = {"x": dict(kind="value", dt=None, unit="", N=None, arrays={"values": np.array([1, 2, 3])})}
    b = {"x": dict(kind="value", dt=None, unit="", N=None, arrays={"values": np.array([1, 2, 4])}),
         "y": dict(kind="value", dt=None, unit="", N=None, arrays={"values": np.array([1.0])})}
    r = exact.compare_runs(a, b, exact.Tolerance(), 0.1)
    assert not r.agree and r.missing == ["y"] and "integer values differ" in r.summary


# --- statistical mode -------------------------------------------------------------------------------------------
def _poisson_run(rng, rate, n=40, T=1.0):
    counts = rng.poisson(rate * T, size=n)
    i = np.repeat(np.arange(n), counts)
    t = np.concatenate([np.sort(rng.uniform(0, T, c)) for c in counts])
    w = rng.normal(0.5, 0.1, size=200)
    return {"spikes": dict(kind="spikes", dt=1e-4, unit="s", N=n, arrays={"i": i, "t": t}),
            "syn.w": dict(kind="value", dt=None, unit="", N=None, arrays={"values": w})}


def test_statistical_mode_flags_a_ten_percent_rate_change_and_passes_the_same_model():
    rng = np.random.default_rng(7)
    ref = [_poisson_run(rng, 50.0) for _ in range(8)]
    same = [_poisson_run(rng, 50.0) for _ in range(8)]
    faster = [_poisson_run(rng, 55.0) for _ in range(8)]
    ok = stats.compare("numpy", {"numpy": ref, "cpp_standalone": same}, t_end=1.0, alpha=0.01)
    assert ok.equivalent and "statistically equivalent, " in ok.summary and "(8 seeds per device" in ok.summary
    assert ok.m == len(ok.tests) >= 6 and any("smallest change detected" in line for line in ok.power)
    bad = stats.compare("numpy", {"numpy": ref, "cpp_standalone": faster}, t_end=1.0, alpha=0.01)
    assert not bad.equivalent and "spikes: population rate on cpp_standalone: 54.96 vs 49.65 Hz" in bad.summary


def test_constant_statistics_are_not_counted():
    run = {"x": dict(kind="value", dt=None, unit="", N=None, arrays={"values": np.array([1.0, 2.0])})}
    r = stats.compare("numpy", {"numpy": [run] * 3, "cython": [run] * 3}, t_end=1.0)
    assert r.equivalent and r.m == 0 and "constant" in r.summary


# --- storage, seeds, CLI parsing --------------------------------------------------------------------------------
def test_observables_round_trip(tmp_path):
    obs = _poisson_run(np.random.default_rng(1), 10.0)
    collect.save(str(tmp_path), obs, {"status": "ok", "t_end": 1.0})
    back, meta = collect.load(str(tmp_path))
    assert meta["status"] == "ok" and set(back) == set(obs)
    assert np.array_equal(back["spikes"]["arrays"]["t"], obs["spikes"]["arrays"]["t"])
    assert back["spikes"]["N"] == 40


def test_globals_fallback_takes_nested_numeric_arrays_only():
    notes = []
    out = collect.read_globals({"results": [(np.arange(3.0), np.ones(2))], "n": 3, "name": "x",
                                "_private": np.ones(2), "rates": [1.0, 2.0]}, notes)
    assert set(out) == {"globals.results.0.0", "globals.results.0.1", "globals.rates"} and notes


def test_globals_fallback_leaves_out_what_the_script_imported(monkeypatch):
    # `from brian2 import *` binds ~460 unit constants and DEFAULT_UNITS, `from pylab import *` rcParams: compared as
    # "the script's results" they made an example without monitors agree on hundreds of imported constants.
    import types
    lib = types.ModuleType("fake_star_lib")
    lib.mV, lib.table = np.array([1e-3]), {"a": np.ones(3)}
    monkeypatch.setitem(sys.modules, "fake_star_lib", lib)
    ns = {"mV": lib.mV, "table": lib.table, "v": np.arange(3.0), "alias": lib.mV}
    notes: list[str] = []
    out = collect.read_globals(ns, notes)
    assert set(out) == {"globals.v", "globals.alias"} and "(2 imported name(s) left out" in notes[0]
    only_imports = {"mV": lib.mV, "table": lib.table}
    notes.clear()
    assert collect.read_globals(only_imports, notes) == {} and not notes


def test_derived_seed_is_deterministic_and_depends_on_both():
    assert derived_seed(42, 3) == derived_seed(42, 3)
    assert len({derived_seed(42, k) for k in range(20)}) == 20
    assert derived_seed(42, 3) != derived_seed(43, 3)


def test_parsing_durations_and_tolerances():
    assert parse_duration("200ms") == pytest.approx(0.2)
    assert parse_duration("0.5 s") == 0.5 and parse_duration("2") == 2.0 and parse_duration("100*ms") == 0.1
    for bad in ("fast", "-1ms", "0", "3 hours"):
        with pytest.raises(UsageError):
            parse_duration(bad)
    assert parse_tolerances(["m.v=1e-9,1e-12", "sp=0"]) == {"m.v": (1e-9, 1e-12), "sp": (0.0, 0.0)}
    with pytest.raises(UsageError):
        parse_tolerances(["m.v=x"])


def test_check_usage_errors_exit_2(tmp_path, capsys):
    from brian2_harness.cli import main
    script = tmp_path / "m.py"
    script.write_text("pass\n")
    assert main(["check", str(script), "--devices", "numpy"]) == 2
    assert main(["check", str(script), "--devices", "numpy,gpu9"]) == 2
    assert main(["check", str(tmp_path / "missing.py")]) == 2
    assert main(["check", str(script), "--seeds", "1"]) == 2
    assert "error" in capsys.readouterr().err


def test_floating_point_differences_are_not_statistical_ones():
    """A statistic that is deterministic up to rounding (astrocyte example: equal to 1e-13) must not be flagged,
    however small its spread; values that are not finite are left out of patterns and distributions."""
    rng = np.random.default_rng(3)

    def run(shift, noise):
        v = 6.713e-9 * (1 + shift + noise * rng.standard_normal(50))
        return {"m.I": dict(kind="state", dt=1e-4, unit="mM", N=None,
                            arrays={"t": np.arange(3) * 1e-4, "values": np.repeat(v[:, None], 3, axis=1),
                                    "indices": np.arange(50)}),
                "g.x": dict(kind="value", dt=None, unit="", N=None,
                            arrays={"values": np.array([np.nan, 1.0 + shift, 2.0])})}
    ref = [run(0.0, 1e-15) for _ in range(6)]
    close = [run(1e-12, 1e-15) for _ in range(6)]
    r = stats.compare("numpy", {"numpy": ref, "cython": close}, t_end=3e-4)
    assert r.equivalent, r.summary
    far = [run(1e-3, 1e-15) for _ in range(6)]
    r = stats.compare("numpy", {"numpy": ref, "cython": far}, t_end=3e-4)
    assert not r.equivalent and "m.I" in r.summary


def test_many_pattern_statistics_with_few_seeds_are_dropped_with_a_note_not_an_exception():
    """Graupner-Brunel 2012 in the examples table: ~300 statistics, 6 seeds; the note's "seeds it would need" once
    searched 2..39 seeds with the wrong smallest p and raised StopIteration (an `error` verdict from the harness)."""
    rng = np.random.default_rng(0)
    per_seed = lambda: {f"x{i}: pattern": (stats.PATTERN, rng.normal(size=4), "") for i in range(400)}  # noqa: E731
    result = stats.compare_statistics("r", {"r": [per_seed() for _ in range(6)], "d": [per_seed() for _ in range(6)]})
    assert any("not tested" in n and "seeds per device" in n for n in result.notes), result.notes
    assert stats.seeds_needed(1e-7) >= 7
    assert pvalues.smallest_p(stats.seeds_needed(1e-7), stats.seeds_needed(1e-7), 1e-7) <= 1e-7


def test_a_python_report_function_on_standalone_is_brians_refusal_not_an_error():
    from brian2_harness.check.outcome import classify
    refused = TypeError("report argument has to be either 'text', 'stdout', 'stderr', or the code for a report "
                        "function")
    status, reason = classify(refused, "model.py")
    assert status == "skip" and "report" in reason
    assert classify(TypeError("unsupported operand type(s)"), "model.py")[0] == "error"     # negative control


def _raised_in(filename: str, name: str, path: str) -> FileNotFoundError:
    """A FileNotFoundError for `path` whose innermost frame is function `name` of `filename` (as Brian raises it)."""
    namespace: dict = {}
    exec(compile(f"def {name}(path):\n    open(path, 'rb')\n", filename, "exec"), namespace)
    try:
        namespace[name](path)
    except FileNotFoundError as exc:
        return exc
    raise AssertionError("no error")


def test_standalone_reading_results_of_an_object_made_after_its_run_is_brians_refusal(tmp_path):
    from brian2_harness.check.outcome import classify
    device = os.path.join("site-packages", "brian2", "devices", "cpp_standalone", "device.py")
    results = tmp_path / "proj" / "results"
    exc = _raised_in(device, "get_value", str(results / "_dynamic_array_synapses_1__synaptic_post_1999337987"))
    status, reason = classify(exc, "coupled_oscillators.py")
    assert status == "skip" and "after that run" in reason, reason
    # negative controls: the script's own missing file, and Brian's reader on a file outside results/
    assert classify(_raised_in("model.py", "load", str(tmp_path / "data.npy")), "model.py")[0] == "error"
    other = _raised_in(device, "get_value", str(tmp_path / "proj" / "static_arrays" / "_array_x_1"))
    assert classify(other, "model.py")[0] == "error"


def test_cv_of_isis_per_neuron_in_one_pass_is_the_loop_over_neurons():
    def by_neuron(i, t):          # the definition, neuron by neuron
        cvs = []
        for n in np.unique(i):
            isi = np.diff(np.sort(t[i == n]))
            if len(isi) >= 2 and isi.mean() > 0:
                cvs.append(isi.std() / isi.mean())
        return float(np.mean(cvs)) if cvs else float("nan")
    rng = np.random.default_rng(0)
    for trial in range(200):
        n, N = int(rng.integers(0, 500)), int(rng.integers(1, 40))
        i, t = rng.integers(0, N, n), np.round(rng.random(n) * 0.1, 4) * (trial % 7 != 0)
        a, b = by_neuron(i, t), stats._cv(i, t)
        assert (math.isnan(a) and math.isnan(b)) or b == pytest.approx(a, rel=1e-12), trial


def test_welch_degrees_of_freedom_do_not_overflow_for_huge_values():
    """Values read from freed memory (Graupner-Brunel 2012 on brian2 2.10.0: ~1e100 and more) squared the variance
    past float's range (OverflowError); the degrees of freedom are scale-free."""
    t, p, df, se = pvalues.welch([1e100, 3e100, 2e100], [5e100, 1e100, 9e100])
    small = pvalues.welch([1.0, 3.0, 2.0], [5.0, 1.0, 9.0])
    assert (t, p, df) == pytest.approx(small[:3]) and se == pytest.approx(small[3] * 1e100)
