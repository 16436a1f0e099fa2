"""Style: the script seeds Brian's generators itself (`seed()`) and draws random numbers in generated code."""
from brian2 import *

seed(2024)
G = NeuronGroup(20, 'dv/dt = (1.1 - v) / (10*ms) : 1', threshold='v > 1', reset='v = 0', method='exact')
G.v = 'rand()'
spikes = SpikeMonitor(G)
run(30*ms)
