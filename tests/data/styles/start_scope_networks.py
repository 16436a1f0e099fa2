"""Style: `start_scope()` between two models, each run with the magic network, then an explicit Network."""
from brian2 import *

start_scope()
A = NeuronGroup(4, 'dv/dt = (1.5 - v) / (10*ms) : 1', threshold='v > 1', reset='v = 0', method='exact')
A.v = 'i / 4.0'
spikes_a = SpikeMonitor(A)
run(10*ms)

start_scope()
B = NeuronGroup(4, 'dv/dt = (1.1 - v) / (5*ms) : 1', threshold='v > 1', reset='v = 0', method='exact')
B.v = 'i / 8.0'
spikes_b = SpikeMonitor(B)
trace_b = StateMonitor(B, 'v', record=[0, 3])
run(10*ms)

C = NeuronGroup(3, 'dv/dt = -v / (3*ms) : 1', method='exact')
C.v = 'i + 1.0'
trace_c = StateMonitor(C, 'v', record=True)
net = Network(C, trace_c)
net.run(5*ms)
