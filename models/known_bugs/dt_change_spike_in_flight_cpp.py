"""A spike in flight when defaultclock.dt changes between two run() calls arrives one step later on cpp_standalone
than on numpy and cython (new; found by `brian2-harness fuzz` on 2.10.1, 2026-12-06; cause not located: both use
the same spike queue code).

Affected: 2.5.4, 2.10.1, 2.11.0 on cpp_standalone (measured): c0 rises at t = 1.6 ms instead of 1.55 ms.
Fixed:    not fixed (2.11.0 is the newest release measured).
Shows as: a device disagreement (cpp_standalone differs from numpy and cython, which agree).
"""
from brian2 import NeuronGroup, StateMonitor, Synapses, defaultclock, ms, run

defaultclock.dt = 0.1*ms
G = NeuronGroup(1, 'c0 : integer', threshold='t > 0.95*ms and t < 1.05*ms', name='G')
S = Synapses(G, G, on_pre='c0_post += 1', delay=0.5*ms, name='S')
S.connect()
mon = StateMonitor(G, 'c0', record=True)
run(12*defaultclock.dt)
defaultclock.dt = 0.05*ms
run(14*defaultclock.dt)
