"""Style: `from brian2 import *` (the README's own example, unchanged)."""
from brian2 import *

G = NeuronGroup(10, 'dv/dt = (1.2 - v) / (10*ms) : 1', threshold='v > 1', reset='v = 0', method='exact')
G.v = 'i / 10.0'
spikes = SpikeMonitor(G)
trace = StateMonitor(G, 'v', record=[0, 5])
run(50*ms)
