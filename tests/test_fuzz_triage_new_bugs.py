"""Triage rules of the Brian2 bugs fuzz found after the clip bug (no Brian): each matches the reproducer in
models/known_bugs/ on the device it affects, and not (negative controls) on another device or without the
construct that causes it."""
from pathlib import Path

from brian2_harness.fuzz import findings, triage

KB = Path(__file__).resolve().parent.parent / "models" / "known_bugs"


def _finding(devices, kinds=("float",), outcome="fail"):
    sig = findings.signature(devices, outcome, list(kinds), ["ode"])
    return findings.Finding(id="x", signature=sig, devices=devices, reference="numpy", outcome=outcome,
                            observables=["mon.v0"], features=["ode"], release="2.10.1", script_lines=5,
                            found_after_s=1.0, model={}, shrink={})


def test_clip_of_abs_on_cython():
    script = (KB / "clip_abs_cython.py").read_text()
    assert triage.classify(_finding(["cython"]), script)["rule"] == "brian2-clip-fused-cython"
    assert triage.classify(_finding(["cython@2.5.4"]), script)["rule"] == "brian2-clip-fused-cython"
    assert triage.classify(_finding(["cpp_standalone"]), script)["rule"] != "brian2-clip-fused-cython"
    assert triage.classify(_finding(["cython"]), script.replace("abs(i)", "i"))["rule"] != "brian2-clip-fused-cython"


def test_dt_change_with_a_spike_in_flight_on_standalone():
    script = (KB / "dt_change_spike_in_flight_cpp.py").read_text()
    rule = "brian2-dt-change-spike-in-flight-cpp"
    assert triage.classify(_finding(["cpp_standalone"], ("int",)), script)["rule"] == rule
    assert triage.classify(_finding(["cython"], ("int",)), script)["rule"] != rule
    no_change = script.replace("defaultclock.dt = 0.05*ms\n", "")
    assert triage.classify(_finding(["cpp_standalone"], ("int",)), no_change)["rule"] != rule


def test_named_event_pathway_on_2_6_0_is_1541():
    """Found by `fuzz --against-release 2.6.0` (2026-12-06): numpy@2.6.0 and cpp_standalone@2.6.0 disagree with
    2.10.1 on what a pathway named in on_event updates. Negative controls: the same on 2.7.0, and without the
    named pathway."""
    script = ("S = Synapses(G, G, 'w : 1', on_pre={'pre': 'c0_post += 1', 'path': 'c0_post += 1'}, "
              "on_event={'path': 'ev'}, name='S')\n")
    assert triage.classify(_finding(["numpy@2.6.0", "cpp_standalone@2.6.0"], ("int",)), script)["rule"] == \
        "brian2-1541"
    assert triage.classify(_finding(["numpy@2.7.1"], ("int",)), script)["rule"] != "brian2-1541"
    assert triage.classify(_finding(["numpy@2.6.0"], ("int",)), script.replace("on_event={'path': 'ev'}, ", ""))[
        "rule"] != "brian2-1541"


def test_delays_changed_between_store_and_restore_before_2_10_is_1726():
    """A generated store/restore pack (strategies.schedule) whose delays change after store(): numpy@2.9.0 against
    2.10.1 is Brian2 #1726. Negative controls: the same on 2.10.0, and with the weights changed instead."""
    script = ("S = Synapses(G, G, 'w : 1', on_pre='c0_post += 1', delay=0.5*ms, name='S')\nrun(3*defaultclock.dt)\n"
              "store()\nS.delay = 0.3*ms\nG.k0 = '1'\nrun(5*defaultclock.dt)\nrestore()\nrun(5*defaultclock.dt)\n")
    rule = "brian2-1726"
    assert triage.classify(_finding(["numpy@2.9.0"], ("int",)), script)["rule"] == rule
    assert triage.classify(_finding(["cython@2.5.4"], ("int",)), script)["rule"] == rule
    assert triage.classify(_finding(["numpy@2.10.0"], ("int",)), script)["rule"] != rule
    assert triage.classify(_finding(["numpy@2.9.0"], ("int",)), script.replace("S.delay = 0.3*ms", "S.w = '2'"))[
        "rule"] != rule
    assert triage.classify(_finding(["numpy@2.9.0"], ("int",)), script.replace("restore()\n", ""))["rule"] != rule


def test_float_one_on_2_6_0_cpp_standalone_is_1520():
    """Found by 2.6.0's examples table (2026-12-07): cpp_standalone@2.6.0 computes `n * (1.0/M)` in single precision.
    Negative controls: cython@2.6.0 (its renderer writes 1.0), cpp_standalone@2.7.1, and without the literal."""
    script = (KB / "true_literal_cpp.py").read_text().split('"""')[2]      # the code, not its docstring
    rule = "brian2-1520"
    assert triage.classify(_finding(["cpp_standalone@2.6.0"], ("int",)), script)["rule"] == rule
    assert triage.classify(_finding(["cython@2.6.0"], ("int",)), script)["rule"] != rule
    assert triage.classify(_finding(["cpp_standalone@2.7.1"], ("int",)), script)["rule"] != rule
    assert triage.classify(_finding(["cpp_standalone@2.6.0"], ("int",)), script.replace("1.0/M", "2/M"))["rule"] != rule
