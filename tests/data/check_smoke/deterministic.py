"""Smoke test of `check` on every Brian2 release: a deterministic network (integration, threshold, synapses)."""
from brian2 import NeuronGroup, SpikeMonitor, StateMonitor, Synapses, ms, run

G = NeuronGroup(5, "dv/dt = (1.2 - v) / (10*ms) : 1", threshold="v > 1", reset="v = 0", method="exact")
G.v = "i / 5.0"
S = Synapses(G, G, "w : 1", on_pre="v_post += w")
S.connect(condition="i != j")
S.w = "0.01 * (i + j)"
spikes = SpikeMonitor(G)
trace = StateMonitor(G, "v", record=[0, 4])
run(30 * ms)
