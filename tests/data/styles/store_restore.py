"""Style: `store()` / `restore()` between runs (a parameter scan over one network)."""
from brian2 import *

G = NeuronGroup(4, 'dv/dt = (I - v) / (10*ms) : 1 \n I : 1', threshold='v > 1', reset='v = 0', method='exact')
spikes = SpikeMonitor(G)
store()
counts = []
for current in [1.1, 1.5, 2.0]:
    restore()
    G.I = current
    run(10*ms)
    counts.append(spikes.num_spikes)
counts = array(counts)
