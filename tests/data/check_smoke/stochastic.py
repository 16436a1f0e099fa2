"""Smoke test of `check` on every Brian2 release: random numbers in generated code (statistical mode, and the
standalone binary reseeded for each seed)."""
from brian2 import NeuronGroup, SpikeMonitor, ms, run

G = NeuronGroup(20, "dv/dt = (1.1 - v) / (10*ms) + 0.3 * xi / sqrt(ms) : 1", threshold="v > 1", reset="v = 0",
                method="euler")
G.v = "rand()"
spikes = SpikeMonitor(G)
run(50 * ms)
