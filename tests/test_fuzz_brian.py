"""fuzz with Brian: the negative control (a constant tweaked in one model on one device, through check's
--script-for mechanism, must be flagged and attributed to that model only) and the CI smoke campaign (a fixed
seed, a handful of models, checked against a stored expectation)."""
from __future__ import annotations

import json
import os

import pytest

from brian2_harness.fuzz import differential, emit
from brian2_harness.fuzz.strategies import Model

pytestmark = pytest.mark.brian
HERE = os.path.dirname(__file__)
EXPECTATION = os.path.join(HERE, "data", "fuzz_smoke.json")
DEVICES = ["numpy", "cpp_standalone"]

MODELS = [
    Model(("@G = NeuronGroup(4, 'k0 : integer', name='@G')", "@G.k0 = '(i * 3) // 2'",
           "@mon = StateMonitor(@G, ['k0'], record=True, name='@mon')")),
    Model(("@G = NeuronGroup(4, 'x0 : 1', name='@G')", "@G.run_regularly('x0 = x0 + i * 0.25', name='@rr')",
           "@mon = StateMonitor(@G, ['x0'], record=True, name='@mon')")),
    Model(("@G = NeuronGroup(3, 'dv0/dt = (1.5 - v0) / (5*ms) : 1', threshold='v0 > 1.0', reset='v0 = 0.0', "
           "method='exact', name='@G')", "@spk = SpikeMonitor(@G, name='@spk')")),
]


def test_a_constant_tweaked_on_one_device_is_flagged_and_attributed_to_its_model(tmp_path, cache_dir):
    """Negative control: model 1's constant 0.25 becomes 0.26 in the copy cpp_standalone runs; the other
    models are unchanged there, so only model 1 may be attributed (and the pack must not agree)."""
    text = emit.pack(MODELS, (10, 5))
    path, mutated = tmp_path / "pack.py", tmp_path / "pack_mutated.py"
    path.write_text(text)
    assert text.count("i * 0.25") == 1
    mutated.write_text(text.replace("i * 0.25", "i * 0.26"))
    result = differential.run_check(str(path), DEVICES, timeout=600, cache_dir=cache_dir,
                                    script_for={"cpp_standalone": str(mutated)})
    found, whole = differential.attribute(result, DEVICES, len(MODELS))
    assert whole == [], result.reason
    assert [(d.model, d.device, d.outcome, d.observables) for d in found] == \
        [(1, "cpp_standalone", "fail", ["mon.x0"])], result.reason


def test_smoke_campaign_matches_its_stored_expectation(tmp_path, cache_dir):
    """A fixed-seed campaign of a few models on numpy and cpp_standalone (one script): models checked, invalid
    models and findings as stored. A change of the generator or of Brian that adds a finding or an invalid model
    shows here."""
    from brian2_harness.cli import main
    with open(EXPECTATION) as f:
        expected = json.load(f)
    out = tmp_path / "out"
    rc = main(["fuzz", "--devices", ",".join(DEVICES), "--seed", str(expected["seed"]), "--budget", "30",
               "--max-models", str(expected["models"]), "--pack", str(expected["models"]), "--shrink-minutes",
               "2", "--out", str(out), "--cache-dir", str(cache_dir), "--quiet"])
    summary = json.loads((out / "summary.json").read_text())
    got = dict(models=summary["stats"]["models"], invalid=summary["stats"]["invalid"],
               findings=sorted(f["signature"] for f in summary["findings"]))
    assert got == {k: expected[k] for k in got}, (out / "report.md").read_text()
    assert rc == expected["exit"]
    assert (out / "report.md").read_text().startswith("# fuzz campaign")


NEW_FEATURES = ("bool_vars", "events", "subgroups", "rate_monitor", "timed_array", "when_order", "dt_change",
                "units")


@pytest.mark.deep    # CI's time budget: tox -e deep; the negative controls stay in the suite
def test_a_pack_with_every_new_feature_on_is_valid_and_agrees(tmp_path, cache_dir):
    """Boolean variables, custom events (run_on_event, EventMonitor, a pathway on the event), subgroups, rate
    monitors, TimedArrays, when/order and a dt halved between the runs all switched on: the reference runs every
    model (0 invalid: valid by construction) and cpp_standalone agrees with it (no false alarm from them)."""
    from brian2_harness.fuzz import features, generate
    from brian2_harness.fuzz.strategies import NEW_DT
    # no delays: a spike in flight when dt changes arrives one step later on cpp_standalone than on numpy
    # (Brian2 2.10.1, a real difference the campaign reports; not what this test is about)
    shares = dict(features.shares(), delays=0.0, **{name: 1.0 for name in NEW_FEATURES})
    models = [m for _, m in generate.draw(21, 6, shares)]
    runs = (12, NEW_DT, 7)
    text = emit.pack(models, runs)
    assert set(NEW_FEATURES) <= set(features.used(text)), features.used(text)
    result, found, invalid = differential.check_models(models, runs, DEVICES, str(tmp_path), timeout=600,
                                                       cache_dir=cache_dir)
    assert invalid == [] and found == [], (invalid, [d.to_dict() for d in found], result.reason)


STORED = Model(("@G = NeuronGroup(4, 'k0 : integer\\nc0 : integer', threshold='k0 >= 0', name='@G')",
                "@S = Synapses(@G, @G, 'w : 1', on_pre='c0_post += 1', delay=0.5*ms, name='@S')",
                "@S.connect(j='(i + 1) % N_post')", "@mon = StateMonitor(@G, ['c0'], record=True, name='@mon')"),
               ("@S.delay = 0.2*ms",))


def test_a_store_pack_agrees_and_a_restore_that_keeps_the_delays_is_flagged(tmp_path, cache_dir):
    """A store/restore pack (strategies.schedule) as the generator emits it: numpy and cython agree, cpp_standalone
    refuses it (reported as a refusal, its models compared on the runtime devices). Negative control: on cython the
    delay changed after store() is set again after restore() (what Brian2 #1726 did before 2.10.0): flagged and
    attributed to the model."""
    from brian2_harness.fuzz.strategies import CHANGES, RESTORE, STORE
    runs = (3, STORE, CHANGES, 8, RESTORE, 8)
    devices = ["numpy", "cython", "cpp_standalone"]
    text = emit.pack([STORED], runs)
    path, mutated = tmp_path / "pack.py", tmp_path / "pack_mutated.py"
    path.write_text(text)
    assert "restore()\n" in text
    mutated.write_text(text.replace("restore()\n", "restore()\nm0_S.delay = 0.2*ms\n"))
    result = differential.run_check(str(path), devices, timeout=600, cache_dir=cache_dir)
    assert differential.attribute(result, devices, 1) == ([], []), result.reason
    assert result.devices["cython"].verdict == "agree", result.reason
    assert [r.split(":")[0] for r in differential.refused(result)] == ["cpp_standalone"], result.reason
    assert differential.compared(result, devices) == ["cython"]
    assert differential.compared(result, ["numpy", "cpp_standalone"]) == []     # such a pack is compared nowhere
    bad = differential.run_check(str(path), devices[:2], timeout=600, cache_dir=cache_dir,
                                 script_for={"cython": str(mutated)})
    found, whole = differential.attribute(bad, devices[:2], 1)
    assert whole == [] and [(d.model, d.device, d.outcome, d.observables) for d in found] == \
        [(0, "cython", "fail", ["mon.c0"])], bad.reason
