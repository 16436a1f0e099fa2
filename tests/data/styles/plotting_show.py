"""Style: plotting after the run with pylab names from `from brian2 import *` and `show()`."""
import matplotlib.pyplot as plt
from brian2 import *

G = NeuronGroup(5, 'dv/dt = (1.2 - v) / (10*ms) : 1', threshold='v > 1', reset='v = 0', method='exact')
G.v = 'i / 5.0'
spikes = SpikeMonitor(G)
trace = StateMonitor(G, 'v', record=[0, 4])
run(20*ms)

plt.figure(figsize=(6, 3))
plt.subplot(121)
plt.plot(trace.t/ms, trace.v.T)
plt.xlabel('t (ms)')
plt.subplot(122)
plt.plot(spikes.t/ms, spikes.i, '.k')
plt.tight_layout()
plt.show()
