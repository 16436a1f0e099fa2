"""Style: several `run()` calls with the input changed between them."""
from brian2 import *

G = NeuronGroup(5, 'dv/dt = (I - v) / (10*ms) : 1 \n I : 1', threshold='v > 1', reset='v = 0', method='exact')
G.I = 1.2
spikes = SpikeMonitor(G)
trace = StateMonitor(G, 'v', record=True)
run(10*ms)
G.I = ' 0.8 + 0.2 * i'
run(10*ms)
G.I = 0
run(5*ms)
