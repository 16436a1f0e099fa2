"""Style: results kept in module-level variables after the run: numbers, arrays, tuples, dicts of arrays, shapes."""
from brian2 import *

G = NeuronGroup(6, 'dv/dt = (1.4 - v) / (10*ms) : 1', threshold='v > 1', reset='v = 0', method='exact')
G.v = 'i / 6.0'
spikes = SpikeMonitor(G)
trace = StateMonitor(G, 'v', record=True)
step = 25*mV                                       # bound before the run, rebound after it (a bisection's step)
halved = float(len(G)) * 2.5                       # a number bound before the run, rebound after it
run(20*ms)

n_spikes = spikes.num_spikes                       # a number
counts = array(spikes.count)                       # an array
first_last = (trace.v[0, 0], trace.v[-1, -1])      # a tuple of numbers
summary = {'mean_v': mean(trace.v, axis=1), 'final_v': G.v[:]}   # a dict of arrays
shape = trace.v.shape                              # a shape
rate_hz = n_spikes / (6 * 20*ms) / Hz              # a float
for _ in range(10):
    step /= 2.0                                    # each /= makes a new Quantity
halved = halved / 2                                # a new float; the old one's address is free again
halved = halved / 2                                # ... and CPython gives it to this one
