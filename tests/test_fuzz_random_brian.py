"""Stochastic packs with Brian: a pack of stochastic models agrees statistically on numpy and cpp_standalone, and
its negative control (one model's Poisson rate doubled in the copy cpp_standalone runs, through check's
--script-for mechanism) is flagged and attributed to that model only."""
from __future__ import annotations

import pytest

from brian2_harness.fuzz import differential, emit
from brian2_harness.fuzz.strategies import Model

pytestmark = pytest.mark.brian
DEVICES = ["numpy", "cpp_standalone"]
RUNS = (30, 20)

MODELS = [
    Model(("@G = NeuronGroup(20, 'dv/dt = (1.5 - v) / (5*ms) + 0.5 * xi * (5*ms)**-0.5 : 1', threshold='v > 1.0', "
           "reset='v = 0.25 * rand()', method='euler', name='@G')",
           "@mon = StateMonitor(@G, ['v'], record=True, name='@mon')", "@spk = SpikeMonitor(@G, name='@spk')",
           "@rate = PopulationRateMonitor(@G, name='@rate')")),
    Model(("@G = NeuronGroup(10, 'dv/dt = -v / (10*ms) : 1', method='euler', name='@G')",
           "@P = PoissonGroup(30, rates=400*Hz, name='@P')",
           "@SP = Synapses(@P, @G, 'w : 1', on_pre='v_post += w', name='@SP')", "@SP.connect()",
           "@SP.w = '0.0625'", "@pspk = SpikeMonitor(@P, name='@pspk')",
           "@mon = StateMonitor(@G, ['v'], record=True, name='@mon')")),
    Model(("@G = NeuronGroup(16, 'dv/dt = (0.5 - v) / (8*ms) : 1\\nb0 : 1\\np0 : 1', method='euler', name='@G')",
           "@binom = BinomialFunction(40, 0.25, approximate=True, name='@binom')",      # normal approximation
           "@G.v = '0.5 + 0.25 * randn()'",
           "@G.run_regularly('b0 = @binom()', dt=2*defaultclock.dt, name='@rr0')",
           "@G.run_regularly('p0 = poisson(3.5)', dt=1*defaultclock.dt, name='@rr1')",
           "@mon = StateMonitor(@G, ['v', 'b0', 'p0'], record=True, name='@mon')")),
    Model(("@G = NeuronGroup(12, 'dv/dt = (1.0 + 0.5 * r0 - v) / (6*ms) : 1\\nr0 = rand() : 1 (constant over dt)\\n"
           "b0 : 1', threshold='v > 1.5', reset='v = 0.0', method='euler', name='@G')",
           "@binom = BinomialFunction(10, 0.125, approximate=False, name='@binom')",    # the exact algorithm
           "@G.run_regularly('b0 = @binom()', dt=1*defaultclock.dt, name='@rr0')",
           "@PI = PoissonInput(@G, 'v', 20, 200*Hz, weight='0.125')",
           "@mon = StateMonitor(@G, ['v', 'b0'], record=True, name='@mon')", "@spk = SpikeMonitor(@G, name='@spk')")),
]


@pytest.mark.deep    # CI's time budget: tox -e deep; the negative controls stay in the suite
def test_a_stochastic_pack_agrees_statistically(tmp_path, cache_dir):
    result, found, invalid = differential.check_models(MODELS, RUNS, DEVICES, str(tmp_path), timeout=600,
                                                       cache_dir=cache_dir)
    assert invalid == [] and found == [], result.reason
    assert result.verdict == "agree_stat" and result.stat is not None and result.stat.m > 10, result.reason


def test_a_rate_doubled_on_one_device_is_flagged_and_attributed_to_its_model(tmp_path, cache_dir):
    """Negative control: model 1's PoissonGroup fires at 800 Hz instead of 400 Hz in the copy cpp_standalone runs
    (8 seeds: its population rate differs by about 8 standard deviations); only model 1 may be attributed."""
    text = emit.pack(MODELS, RUNS)
    path, mutated = tmp_path / "pack.py", tmp_path / "pack_mutated.py"
    path.write_text(text)
    assert text.count("rates=400*Hz") == 1
    mutated.write_text(text.replace("rates=400*Hz", "rates=800*Hz"))
    result = differential.run_check(str(path), DEVICES, timeout=600, cache_dir=cache_dir,
                                    script_for={"cpp_standalone": str(mutated)})
    found, whole = differential.attribute(result, DEVICES, len(MODELS))
    assert whole == [], result.reason
    assert [(d.model, d.device, d.outcome) for d in found] == [(1, "cpp_standalone", "fail")], result.reason
    assert "pspk" in found[0].observables, found[0].observables


def test_a_clock_that_ends_past_the_run_is_no_statistical_difference(tmp_path, cache_dir):
    """Regression (the first stochastic smoke campaign's false alarm): a run_regularly every 4 dt over 27 steps ends
    its clock at 2.8 ms; standalone took that as the network's end and divided the (deterministic) spike count by
    it, 1429 Hz vs numpy's 1481 Hz, p = 0. The network's own end time (check/standalone.network_time) agrees."""
    model = Model(("@G = NeuronGroup(1, 'dv/dt = (3.0 - v) / (2*ms) : 1\\np0 : 1', threshold='v > 1.0', "
                   "reset='v = 0.0', method='euler', name='@G')", "@G.v = '3.0 + 0.25 * randn()'",
                   "@G.run_regularly('p0 = poisson(0.25)', dt=4*defaultclock.dt, name='@rr1')",
                   "@spk = SpikeMonitor(@G, name='@spk')"))
    result, found, invalid = differential.check_models([model], (27,), DEVICES, str(tmp_path), timeout=600,
                                                       cache_dir=cache_dir)
    assert invalid == [] and found == [], result.reason
    assert result.verdict in ("agree", "agree_stat"), result.reason
