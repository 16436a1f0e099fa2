"""Negative control of the style matrix: a model that differs on cython only (its time constant is 5 % longer
there). The check must FAIL on cython, whatever the script's style."""
from brian2 import *

tau = 10*ms * (1.05 if prefs.codegen.target == 'cython' else 1.0)
G = NeuronGroup(5, 'dv/dt = (1.2 - v) / tau : 1', threshold='v > 1', reset='v = 0', method='exact')
G.v = 'i / 5.0'
spikes = SpikeMonitor(G)
trace = StateMonitor(G, 'v', record=[0, 4])
run(20*ms)
