"""Style: the script picks its own device and code generation target (the harness overrides both, with notes)."""
from brian2 import *

set_device('runtime')
prefs.codegen.target = 'numpy'
prefs.codegen.loop_invariant_optimisations = True
defaultclock.dt = 0.05*ms

G = NeuronGroup(5, 'dv/dt = (1.2 - v) / (10*ms) : 1', threshold='v > 1', reset='v = 0', method='exact')
G.v = 'i / 5.0'
spikes = SpikeMonitor(G)
trace = StateMonitor(G, 'v', record=[0, 2])
run(15*ms)
