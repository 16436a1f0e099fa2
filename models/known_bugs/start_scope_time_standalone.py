"""After `start_scope()`, a `run()` of only new objects starts at t = 0 on numpy and cython (as `MagicNetwork.run`
documents) but continues from the previous run's end on cpp_standalone (new; found by the script-style matrix,
tests/data/styles/start_scope_networks.py, 2026-12-06; reproducer ci/brian2_start_scope_time_repro.py).

Affected: every release measured, 2.5.4 ... 2.11.0, on cpp_standalone.
Fixed:    not fixed (2.11.0 is the newest release measured).
Shows as: a device disagreement (the second model's spike 10 ms later on cpp_standalone).
"""
from brian2 import NeuronGroup, SpikeMonitor, ms, run, start_scope

A = NeuronGroup(1, 'dv/dt = -v / (10*ms) : 1', method='exact')
run(10*ms)
start_scope()
B = NeuronGroup(1, 'dv/dt = (1.1 - v) / (5*ms) : 1', threshold='v > 1', reset='v = 0', method='exact')
B.v = 0.375
spikes = SpikeMonitor(B)
run(10*ms)
