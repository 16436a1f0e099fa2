"""How `check` judges a device pair, without Brian: random-stream fingerprints, the noise floor, reachable
permutation tests, stated power and --min-effect."""
import numpy as np
import pytest

from brian2_harness.check import exact, floor, pairs, pvalues, stats, streams
from brian2_harness.cli.check import parse_effect
from brian2_harness.errors import UsageError


def _stream(draws, threads=0):
    return {"draws": draws, "counts": {k: len(v) for k, v in draws.items()}, "threads": threads}


# --- streams ---------------------------------------------------------------------------------------------------
def test_same_stream_needs_every_code_object_to_draw_the_same_values():
    a = _stream({"poissongroup/rand": [0.1, 0.2, 0.3], "synapses/rand": [0.5]})
    same, why = streams.same_stream(a, _stream(dict(a["draws"])), "numpy", "cpp_standalone")
    assert same and "same random stream" in why and streams.fingerprint(a) in why
    # the same values overall, handed to other code objects: not the same stream
    other = _stream({"poissongroup/rand": [0.1, 0.2, 0.5], "synapses/rand": [0.5]})
    same, why = streams.same_stream(a, other, "numpy", "cpp_standalone")
    assert not same and "poissongroup/rand() draw #2 is 0.5 on cpp_standalone vs 0.3 on numpy" in why


def test_a_gaussian_draw_off_in_its_last_bits_is_named_as_rounding_and_another_draw_is_not():
    """Brian >= 2.8.0's cpp_standalone on a CPU with FMA (ci/brian2_randn_fma_repro.py): the values of the
    examples table, Ornstein-Uhlenbeck on 2.8.0.4."""
    a = _stream({"neurongroup/randn": [0.1, 0.8644361988595057]})
    b = _stream({"neurongroup/randn": [0.1, 0.8644361988595055]})
    same, why = streams.same_stream(a, b, "numpy", "cpp_standalone")
    assert not same and "draw #1 is 0.8644361988595055 on cpp_standalone" in why
    assert "the same draw up to rounding (2 ulp)" in why and "FMA" in why
    # negative controls: another Gaussian number, a uniform one off by one ulp, NaN against a number
    for key, p, q in [("neurongroup/randn", 0.86, 0.87), ("neurongroup/rand", 0.5, 0.5 + 2 ** -53),
                      ("neurongroup/randn", float("nan"), 0.86)]:
        same, why = streams.same_stream(_stream({key: [p]}), _stream({key: [q]}), "numpy", "cpp_standalone")
        assert not same and "different random streams" in why and "rounding" not in why


def test_cython_openmp_and_no_draws_are_not_evidence_of_a_shared_stream():
    a = _stream({"poissongroup/rand": [0.1]})
    assert not streams.same_stream(a, _stream({"*/rand": [0.1]}), "numpy", "cython")[0]
    same, why = streams.same_stream(a, _stream({"poissongroup/rand": [0.1]}, threads=2), "numpy", "omp")
    assert not same and "OpenMP" in why
    same, why = streams.same_stream(a, _stream({}), "numpy", "cpp_standalone")
    assert not same and "no random number drawn" in why


def test_sampled_draw_indices_are_the_first_ones_then_powers_of_two():
    assert streams.sampled(0, 70) == list(range(64)) + [64]
    assert streams.sampled(100, 300) == [128, 256]
    rec = streams.Recorder()
    rec.add("g/rand", np.arange(200.0))
    rec.add("g/rand", np.arange(200.0, 300.0))
    assert rec.values["g/rand"] == list(map(float, range(64))) + [64.0, 128.0, 256.0] and rec.counts["g/rand"] == 300


def test_cpp_record_code_leaves_brians_anonymous_namespace_once():
    code = streams.code_once(streams.CPP_CODE.replace("%RAND_FUNC%", "rand").replace("%THREAD_NUMBER%", "0")
                             .replace("%RECORD%", "1").replace("%OWNER%", "neurons"))
    assert code.startswith("}  // namespace\n#ifndef B2H_DRAWN") and "namespace {\n" in code
    assert 'series["neurons/rand"]' in code and streams.STREAM_VAR in code


# --- noise floor -----------------------------------------------------------------------------------------------
def _result(name, err, tol, kind="state"):
    c = exact.Comparison(name, kind, err <= tol, err == 0, f"off by {err}", err, tol)
    return exact.ExactResult(err <= tol, [c], [], "")


def test_floor_separates_amplified_rounding_from_a_model_difference():
    quiet = floor.measure(_result("M.v", 1e-18, 1e-12), ["G.v"])
    outcome, reason, _ = floor.judge(_result("M.v", 1e-6, 1e-12), quiet)
    assert outcome == "fail" and "more than rounding" in reason          # not amplified: a real difference
    loud = floor.measure(_result("M.v", 3e-7, 4e-8), ["G.v"])
    outcome, reason, data = floor.judge(_result("M.v", 2.6e-7, 4e-8), loud)
    assert outcome == "amplified" and "within 10 x the noise floor" in reason and data["M.v"]["floor"] == 3e-7
    outcome, reason, _ = floor.judge(_result("M.v", 1e-4, 4e-8), loud)   # far beyond the floor: still caught
    assert outcome == "fail" and "more than 10 x the noise floor" in reason


def test_a_floor_just_under_the_tolerance_still_explains_a_difference_within_ten_times_it():
    # spike_initiation: floor 2.67e-8 V (tolerance 3.81e-8 V), cpp_standalone 2.62e-7 V away: rounding
    near = floor.measure(_result("M.v", 2.67e-8, 3.81e-8), ["G.v"])
    assert floor.judge(_result("M.v", 2.62e-7, 3.81e-8), near)[0] == "amplified"
    outcome, reason = floor.judge(_result("M.v", 2.7e-7, 3.81e-8), near)[:2]
    assert outcome == "fail" and "more than rounding" in reason


def test_the_floor_is_the_largest_move_among_its_realizations():
    runs = [_result("M.v", 2e-8, 4e-8), _result("M.v", 5.8e-7, 4e-8), _result("M.v", 1.6e-7, 4e-8)]
    f = floor.measure(runs, ["G.v"])
    assert f.moved["M.v"][0] == 5.8e-7 and f.amplified("M.v") and "largest of 3 runs" in f.describe("M.v")


def test_pairs_on_one_stream_are_exact_and_amplified_stochastic_pairs_go_statistical():
    s = {"stream": _stream({"p/rand": [0.1]})}
    p = pairs.first_pass("cpp_standalone", "numpy", _result("M.v", 0.0, 1e-12), s, s, True, "auto")
    assert p.mode == pairs.EXACT and p.outcome == "agree"
    p = pairs.first_pass("cython", "numpy", _result("M.v", 1.0, 1e-12), s, {"stream": _stream({"*/rand": [0.2]})},
                         True, "auto")
    assert p.mode == pairs.STAT and "different random streams" in p.why
    p = pairs.first_pass("cpp_standalone", "numpy", _result("M.v", 1e-6, 1e-12), s, s, True, "auto")
    assert p.mode == pairs.FLOOR
    pairs.with_floor(p, _result("M.v", 1e-6, 1e-12), floor.measure(_result("M.v", 1e-6, 1e-12), []), True)
    assert p.mode == pairs.STAT and "amplifies rounding" in p.why
    forced = pairs.first_pass("cython", "numpy", _result("M.v", 1.0, 1e-12), s, {"stream": _stream({"*/rand": [.2]})},
                              True, "exact")
    assert forced.outcome == "fail" and "cython hands random numbers" in forced.detail


# --- reachable tests and stated power --------------------------------------------------------------------------
def test_default_seeds_reach_holm_levels_of_many_statistics():
    assert pvalues.smallest_p(8, 8) <= 0.01 / 64                      # exact enumeration: 12,870 relabelings
    masks, exact_ = pvalues.relabelings(12, 12, needed_p=0.01 / 100)  # sampled: enough for alpha/m
    assert not exact_ and 1 / len(masks) <= 0.01 / 100 / 5


def _scalar_runs(rng, k, mean, sd, n_pattern=30):
    return [{"pop: population rate": (stats.SCALAR, float(rng.normal(mean, sd)), "Hz"),
             "pop: rates per neuron": (stats.PATTERN, rng.normal(mean, sd, n_pattern), "Hz")} for _ in range(k)]


def test_a_pattern_difference_is_found_with_eight_seeds_among_many_statistics():
    rng = np.random.default_rng(3)
    ref = _scalar_runs(rng, 8, 10.0, 0.5)
    dev = _scalar_runs(rng, 8, 10.0, 0.5)
    for r in dev:
        kind, v, unit = r["pop: rates per neuron"]
        r["pop: rates per neuron"] = (kind, v + np.where(np.arange(30) < 15, 1.0, -1.0), unit)   # same mean
    filler = {f"x{k}: mean": (stats.SCALAR, 1.0, "") for k in range(20)}
    for r in ref + dev:
        r.update({n: (kind, float(rng.normal(1, 0.1)), u) for n, (kind, _, u) in filler.items()})
    res = stats.compare_statistics("numpy", {"numpy": ref, "cpp_standalone": dev}, 0.01)
    assert not res.equivalent and "rates per neuron" in res.summary and res.m == 22


def test_too_few_seeds_drop_unreachable_permutation_tests_with_the_seeds_they_need():
    rng = np.random.default_rng(4)
    res = stats.compare_statistics("numpy", {"numpy": _scalar_runs(rng, 4, 10, 0.5),
                                             "cython": _scalar_runs(rng, 4, 10, 0.5)}, 0.01)
    assert res.m == 1 and any("cannot reach" in n and "seeds per device" in n for n in res.notes)


def test_min_effect_turns_a_weak_agreement_into_too_weak_with_the_seeds_needed():
    rng = np.random.default_rng(6)
    ref, dev = _scalar_runs(rng, 8, 10.0, 2.0), _scalar_runs(rng, 8, 10.0, 2.0)   # 20 % spread per run
    plain = stats.compare_statistics("numpy", {"numpy": ref, "cpp_standalone": dev}, 0.01)
    assert plain.equivalent and plain.strength == "weak" and "weak" in plain.summary
    assert any("pop: population rate (cpp_standalone):" in line for line in plain.power)
    strict = stats.compare_statistics("numpy", {"numpy": ref, "cpp_standalone": dev}, 0.01, min_effect=0.02)
    assert not strict.equivalent and strict.summary.startswith("too weak") and strict.seeds_needed > 100
    tight_ref, tight_dev = _scalar_runs(rng, 8, 10.0, 0.01), _scalar_runs(rng, 8, 10.0, 0.01)
    strong = stats.compare_statistics("numpy", {"numpy": tight_ref, "cpp_standalone": tight_dev}, 0.01, 0.02)
    assert strong.equivalent and strong.strength == "strong" and strong.power_table()[0]["relative"] < 0.02


def test_min_effect_parsing():
    assert parse_effect("2%") == pytest.approx(0.02) and parse_effect("0.05") == 0.05 and parse_effect(None) is None
    for bad in ("two", "0%", "-1%"):
        with pytest.raises(UsageError):
            parse_effect(bad)


# --- unmodified scripts: scratch folder, names ---------------------------------------------------------------
def test_scratch_copy_of_the_script_folder_lists_writes_and_maps_reads_back(tmp_path):
    from brian2_harness.check import workdir
    src = tmp_path / "model"
    (src / "data").mkdir(parents=True)
    (src / "m.py").write_text("x = 1\n")
    (src / "params.json").write_text("{}")
    (src / "data" / "big.npy").write_text("0")
    scratch = tmp_path / "scratch"
    copy, before = workdir.prepare(str(src / "m.py"), str(scratch))
    assert open(copy).read() == "x = 1\n" and (scratch / "params.json").is_file() and (scratch / "data").is_symlink()
    (scratch / "out.txt").write_text("result")
    assert workdir.written(str(scratch), before) == ["out.txt"]
    read = {str(scratch / "params.json"), str(scratch / "out.txt")}
    assert workdir.originals(read, str(scratch), str(src / "m.py")) == {str(src / "params.json")}


def test_observables_take_the_scripts_names():
    from brian2_harness.check import collect

    class Monitor:      # stands in for a Brian monitor bound at module level
        __module__ = "brian2.monitors.statemonitor"
        name, variables = "statemonitor_1", {}
    names = collect.aliases({"trace": Monitor(), "_hidden": Monitor(), "n": 3})
    assert names == {"statemonitor_1": "trace"}
    obs = collect.rename({"statemonitor_1.v": {"kind": "state"}, "spikemonitor": {"kind": "spikes"}}, names)
    assert set(obs) == {"trace.v", "spikemonitor"} and obs["trace.v"]["brian_name"] == "statemonitor_1.v"
    selected, unmatched = collect.select(obs, ["statemonitor_1.v", "trcae"], {}, [])
    assert set(selected) == {"trace.v"} and unmatched == ["trcae"]
