"""Attributing a packed script's disagreements to models, and triage (no Brian: check's result objects are built
here the way check.verdict builds them)."""
from __future__ import annotations

from brian2_harness.check.exact import Comparison, ExactResult
from brian2_harness.check.pairs import Pair
from brian2_harness.check.script import DeviceRun
from brian2_harness.check.verdict import FAIL, REFERENCE, CheckResult, DeviceVerdict
from brian2_harness.fuzz import campaign, differential, findings, triage


def _result(comparisons, missing=(), floor=None, verdict=FAIL):
    exact = ExactResult(False, comparisons, list(missing), "differ")
    devices = {"numpy": DeviceVerdict("numpy", REFERENCE, "1 run(s)"),
               "cpp_standalone": DeviceVerdict("cpp_standalone", verdict, "differs", exact)}
    pair = Pair("cpp_standalone", "exact+floor", "no random numbers", True, floor=floor or {})
    runs = {d: DeviceRun(d, "ok", "") for d in devices}
    return CheckResult("pack.py", FAIL, "differs", "numpy", devices, runs, "exact", pairs={"cpp_standalone": pair})


def _c(name, agree, err=1.0):
    return Comparison(name, "state", agree, agree, "detail", err, 0.0)


def test_each_failing_observable_goes_to_the_model_its_prefix_names():
    res = _result([_c("m0_mon.k0", True), _c("m2_mon.k0", False), _c("m2_spk", False), _c("m5_mon.v0", False)])
    found, whole = differential.attribute(res, ["numpy", "cpp_standalone"], 6)
    assert whole == []
    assert [(d.model, d.observables) for d in found] == [(2, ["mon.k0", "spk"]), (5, ["mon.v0"])]


def test_within_the_noise_floor_is_not_a_disagreement():
    """Negative control of the floor: the same failure is attributed without a floor and not within 10 x it."""
    comps = [_c("m1_mon.v0", False, err=1e-9)]
    assert differential.attribute(_result(comps), ["numpy", "cpp_standalone"], 2)[0]
    floor = {"m1_mon.v0": {"floor": 1e-9, "tolerance": 1e-12}}
    assert differential.attribute(_result(comps, floor=floor), ["numpy", "cpp_standalone"], 2)[0] == []


def test_an_observable_without_a_model_or_a_reference_failure_is_bisected():
    res = _result([_c("globals.x", False)])
    assert differential.attribute(res, ["numpy", "cpp_standalone"], 2) == ([], ["cpp_standalone"])
    res.devices["numpy"] = DeviceVerdict("numpy", "error", "boom")
    assert differential.attribute(res, ["numpy", "cpp_standalone"], 2) == ([], ["numpy"])


def _finding(release, kinds="int", devices=("cpp_standalone",)):
    sig = findings.signature(list(devices), "fail", [kinds], ["floordiv", "int_vars"])
    return findings.Finding(id=findings.finding_id(sig), signature=sig, devices=list(devices), reference="numpy",
                            outcome="fail", observables=["mon.k0"], features=["floordiv", "int_vars"],
                            release=release, script_lines=6, found_after_s=1.0, model={},
                            shrink={"reached": True, "candidates": 3, "seconds": 60.0, "original_lines": 9})


def test_triage_knows_brian2_1495_only_where_it_was_a_bug():
    script = "G.run_regularly('k0 = (i // 98)')"
    assert triage.classify(_finding("2.5.4"), script)["rule"] == "brian2-1495"
    fixed = triage.classify(_finding("2.10.1"), script)
    assert fixed["rule"] == "new" and fixed["class"] == triage.BUG
    assert triage.classify(_finding("2.5.4", kinds="float"), script)["rule"] == "new"
    # the rule asks the device (standalone, Brian's C++ functions): the OpenMP build too, never a runtime device
    assert triage.classify(_finding("2.5.4", devices=("cpp_standalone_omp",)), script)["rule"] == "brian2-1495"
    assert triage.classify(_finding("2.5.4", devices=("cython",)), script)["rule"] == "new"


def test_triage_of_clip_on_an_integer_asks_the_device_for_cpp_functions():
    script = "G.v0 = 'clip(i, -6.25, -3.75)'"
    for device, rule in (("cython", "brian2-clip-int-cpp"), ("cpp_standalone", "brian2-clip-int-cpp"),
                         ("numpy", "new")):
        assert triage.classify(_finding("2.10.1", kinds="float", devices=(device,)), script)["rule"] == rule


def test_exit_code_counts_new_reproducing_bugs_only():
    f = _finding("2.5.4").to_dict() | {"triage": {"class": triage.BUG}}
    assert campaign.exit_code({"new": [f["id"]], "findings": [f]}) == 1
    assert campaign.exit_code({"new": [], "findings": [f]}) == 0
    assert campaign.exit_code({"new": [f["id"]], "findings": [f | {"status": "flaky"}]}) == 0
    doc = f | {"triage": {"class": triage.DOCUMENTED}}
    assert campaign.exit_code({"new": [f["id"]], "findings": [doc]}) == 0


def test_signatures_deduplicate_and_findings_round_trip(tmp_path):
    a, b = _finding("2.5.4"), _finding("2.5.4")
    assert a.signature == b.signature and a.id == b.id
    assert _finding("2.5.4", kinds="float").id != a.id
    findings.save(str(tmp_path), a, "print(1)\n", {"format": "x"})
    back = findings.load_all(str(tmp_path))
    assert [x.to_dict() for x in back] == [a.to_dict()]
    assert findings.script_of(str(tmp_path), a.id) == "print(1)\n"


def test_the_report_shows_each_finding_with_its_script_and_the_coverage():
    from brian2_harness.fuzz import features, report
    f = _finding("2.5.4").to_dict() | {"triage": triage.classify(_finding("2.5.4"), "k0 = (i // 98)")}
    summary = dict(release="2.5.4", devices=["numpy", "cpp_standalone"], seed=1, pack=10, budget_s=1800,
                   seconds=900.0, models_per_minute=2.0, shares=features.shares(), new=[f["id"]],
                   findings=[f], scripts={f["id"]: "G.run_regularly('k0 = (i // 98)')\n"},
                   stats=dict(models=30, packs=3, invalid=0, disagreements=1, duplicates=0, first_finding_s=420.0,
                              coverage={"floordiv": 12}, timed_out=[], unchecked=0))
    text = report.render(summary)
    assert "brian2-1495" in text and "k0 = (i // 98)" in text and "time to the first: 420 s" in text
    assert "| floordiv | 0.6 | 12 (40 %) |" in text


def test_triage_knows_the_integer_clip_of_cpp_standalone():
    f = _finding("2.10.1", kinds="float")
    assert triage.classify(f, "dv1/dt = (clip(i, (-6.25), (-3.75)) - v1) / (3*ms) : 1")["rule"] == \
        "brian2-clip-int-cpp"
    assert triage.classify(f, "dv1/dt = (clip(v0, (-6.25), (-3.75)) - v1) / (3*ms) : 1")["rule"] == "new"
    # an integer expression as clip's first argument (2.10.1 campaign, seed 1, pack 17); float ones stay new
    assert triage.classify(f, "m5_G.x1 = 'clip((i + 100), (-4.25), (-3.75))'")["rule"] == "brian2-clip-int-cpp"
    assert triage.classify(f, "x1 = clip(((k0 * 3) - 2), -1.0, 1.0)")["rule"] == "brian2-clip-int-cpp"
    for text in ("clip((i + 0.5), -1.0, 1.0)", "clip((-2.0), -9.25, 1.0)", "clip(((v0 + 0.0) + 1.26), -10.0, 10.0)",
                 "clip(x0, -1.0, 1.0)"):
        assert triage.classify(f, text)["rule"] == "new", text
