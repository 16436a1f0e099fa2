"""Style: `defaultclock.dt` changed between two runs."""
from brian2 import *

defaultclock.dt = 0.1*ms
G = NeuronGroup(4, 'dv/dt = (1.3 - v) / (10*ms) : 1', threshold='v > 1', reset='v = 0', method='exact')
G.v = 'i / 4.0'
spikes = SpikeMonitor(G)
trace = StateMonitor(G, 'v', record=True)
run(10*ms)
defaultclock.dt = 0.05*ms
run(10*ms)
