"""The generated sets hold what the Brian tests claim to verify; generation is reproducible across processes;
the oracle owns its inputs; per-neuron bounds and determinate clip decisions (all Brian-free)."""
import json
import subprocess
import sys

import numpy as np
import pytest
from mutant_oracle import simulate_mutant
from sets import growth_coverage, growth_set, meta_coverage, meta_set

from brian2_harness.families import get_family
from brian2_harness.families.growth import network
from brian2_harness.families.growth.case import Case
from brian2_harness.families.growth.compare import compare_growth
from brian2_harness.families.growth.observables import GrowthObservables
from brian2_harness.families.growth.oracle import simulate
from brian2_harness.families.growth.tolerance import growth_bounds


def test_growth_set_holds_the_shapes_it_claims():
    cov = growth_coverage(growth_set())
    assert cov["max_in_degree"] >= 30
    assert cov["multapse_cases"] >= 3
    assert cov["mixed_1e-6_1e6_cases"] >= 1
    assert cov["negative_growth_cases"] >= 3
    assert cov["max_steps"] >= 60_000
    assert cov["dyadic_boundary_cases"] >= 3
    assert cov["empty_cases"] >= 1


def test_meta_set_holds_real_spike_trains_on_8x4():
    cov = meta_coverage(meta_set(6))
    assert cov["max_synapses"] >= 32 and cov["cases_8x4_with_spikes"] >= 3 and cov["max_post_spikes"] >= 20


GEN = ("import json, sys; {extra}from brian2_harness.families.growth.generate import generate_cases; "
       "from brian2_harness.families.metaplastic.generate import generate_meta_cases; "
       "print(json.dumps([c.to_dict() for c in generate_cases(25, 11)] + "
       "[c.to_dict() for c in generate_meta_cases(5, 11)]))")


def test_same_seed_same_cases_in_every_process(tmp_path):
    """Hypothesis draws constants from locally loaded modules; other modules loaded must not change the cases."""
    local = tmp_path / "lots_of_constants.py"
    local.write_text("A = [0.123456789, 987654.321, 31337, 1e-7, 'xyzzy', 4242.4242]\n")
    bare = subprocess.run([sys.executable, "-c", GEN.format(extra="")], capture_output=True, text=True, check=True)
    loaded = subprocess.run([sys.executable, "-c", GEN.format(extra="import lots_of_constants; ")],
                            capture_output=True, text=True, check=True, cwd=tmp_path,
                            env={**__import__("os").environ, "PYTHONPATH": str(tmp_path)})
    assert json.loads(bare.stdout) == json.loads(loaded.stdout)
    # and in this process, where pytest, hypothesis' test helpers and the tests themselves are loaded
    from brian2_harness.families.growth.generate import generate_cases
    from brian2_harness.families.metaplastic.generate import generate_meta_cases
    here = [c.to_dict() for c in generate_cases(25, 11)] + [c.to_dict() for c in generate_meta_cases(5, 11)]
    assert here == json.loads(bare.stdout)


def test_oracle_computes_its_own_targets(monkeypatch):
    """A bug in the function that gives devices their B must not reach the oracle."""
    case = growth_set()[0]
    net, _ = network.pack([case])
    truth = simulate(net, "aligned")
    bad = net.__class__(**{**net.__dict__, "B": net.B * (1 + 1e-6)})
    assert np.array_equal(simulate(bad, "aligned").target, truth.target)
    assert np.allclose(truth.target, case.beta * np.bincount(net.j, weights=net.w0, minlength=net.n_post), rtol=1e-15)


@pytest.mark.parametrize("schedule", ["aligned", "lagged"])
def test_packed_oracle_equals_unpacked_runs(schedule):
    """Packing many cases into one network changes nothing for any case, bit for bit."""
    fam = get_family("growth")
    for dtype in ("float64", "float32"):
        cases = [c.replace(dtype=dtype) for c in growth_set() if c.schedule_key[:3] == growth_set()[1].schedule_key[:3]]
        packed = fam.oracle(cases, schedule)
        for c, p in zip(cases, packed):
            alone = fam.oracle([c], schedule)[0]
            for name in ("w_before", "w_after", "seen_total", "target", "determinate"):
                assert np.array_equal(getattr(p, name), getattr(alone, name)), (c.name, name)


def _as_device(o):
    return GrowthObservables(o.w_before, o.w_after, o.j, o.n_post)


def test_a_huge_weight_on_one_neuron_does_not_blind_another():
    """Neuron 0 carries 1e6; neuron 1 weights ~0.1. Without normalization neuron 1 deviates ~1e-3: flagged in
    float32, although a case-wide bound (eps32 * 1e6 * ...) would have been ~2."""
    case = Case(n_pre=3, n_post=2, i=[0, 1, 2, 0, 1], j=[0, 0, 1, 1, 1], w0=[1e6, 0.5, 0.1, 0.2, 0.3], beta=1.0,
                period=0.01, duration=0.03, dtype="float32")
    oracle = get_family("growth").oracle([case], "aligned")[0]
    bounds = growth_bounds(oracle, "float32", case.n_steps, "ieee_contract")
    assert bounds.weight[0] > 1.0 > 1e-5 > bounds.weight[1]
    bad = simulate_mutant(case, "no_normalization")
    cmp = compare_growth(bad, oracle, dtype="float32", bounds=bounds, excess=oracle.excess(),
                         determinate=oracle.determinate, increment=case.g * case.dt)
    assert not cmp.ok and "post 1" in cmp.reason
    assert cmp.detection_limit["min"] == pytest.approx(bounds.weight[1])
    assert cmp.lag_visible is False                  # neuron 0 cannot see g*dt = 1e-5; neuron 1 could


def test_dyadic_boundary_decisions_are_judged_not_waved_through():
    """Exactly on the boundary (B = S, g = 0): the rule must not act; a device that nudges the weights fails
    on the clip decision, which a band would have hidden."""
    case = Case(n_pre=2, n_post=1, i=[0, 1], j=[0, 0], w0=[0.375, 0.5], beta=1.0, g=0.0, period=0.01,
                duration=0.03, dtype="float32")
    oracle = get_family("growth").oracle([case], "aligned")[0]
    assert oracle.determinate.all() and not oracle.clipped().any()
    bounds = growth_bounds(oracle, "float32", case.n_steps, "ieee")
    good = compare_growth(_as_device(oracle), oracle, dtype="float32", bounds=bounds, excess=oracle.excess(),
                          determinate=oracle.determinate)
    assert good.ok and good.judged == 3 and good.boundary == 0
    nudged = oracle.w_after.copy()
    nudged[:, 0] = np.nextafter(nudged[:, 0], np.float32(0))
    got = GrowthObservables(oracle.w_before, nudged, oracle.j, oracle.n_post)
    bad = compare_growth(got, oracle, dtype="float32", bounds=bounds, excess=oracle.excess(),
                         determinate=oracle.determinate)
    assert not bad.ok and "clip decision" in bad.reason
    # without the determinacy the same nudge sits in the band and passes: that is what the band used to hide
    blind = compare_growth(got, oracle, dtype="float32", bounds=bounds, excess=oracle.excess())
    assert blind.ok and blind.boundary == 3


def test_generated_boundary_cases_get_judged_decisions():
    fam = get_family("growth")
    judged = 0
    for c in growth_set():
        if c.g == 0 and c.i:
            o = fam.oracle([c], "aligned")[0]
            judged += int(o.determinate.sum())
    assert judged >= 10
