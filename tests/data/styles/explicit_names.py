"""Style: explicit imports of the names used (what the harness's own scripts do)."""
from brian2 import NeuronGroup, PopulationRateMonitor, SpikeMonitor, StateMonitor, Synapses, ms, mV, run

tau = 10 * ms
v_rest, v_th = 20 * mV, 15 * mV
G = NeuronGroup(6, "dv/dt = (v_rest - v) / tau : volt", threshold="v > v_th", reset="v = 0*mV", method="exact")
G.v = "i * 2*mV"
S = Synapses(G, G, on_pre="v_post += 0.5*mV")
S.connect(condition="i != j")
spikes = SpikeMonitor(G)
rate = PopulationRateMonitor(G)
trace = StateMonitor(G, "v", record=True)
run(20 * ms)
