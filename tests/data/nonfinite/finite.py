"""nanref.py with finite values: the same network, v starts at 1."""
from brian2 import NeuronGroup, StateMonitor, ms, run

G = NeuronGroup(3, "dv/dt = -v / (10*ms) : 1", method="exact")
G.v = 1.0
trace = StateMonitor(G, "v", record=True)
run(1 * ms)
