"""A state updater with `clip(x / (abs(i) + 1), ...)` does not compile with Cython, and the run goes on without it
(new; found by `brian2-harness fuzz` on 2.10.1, 2026-12-06).

Affected: every release measured (2.5.4, 2.9.0, 2.10.1, 2.11.0) on cython: Brian's Cython `_clip` takes a fused
          type, and `clip(v1 / (abs(i) + 1), -10.0, 10.0)` makes Cython stop with "Invalid use of fused types, type
          cannot be specialized" (printed while compiling); the run then continues without the state updater, so
          every variable it integrates stays at its initial value (v0 below is 0 throughout; numpy and
          cpp_standalone integrate it).
Fixed:    not fixed (2.11.0 is the newest release measured).
Shows as: a device disagreement (cython wrong, numpy and cpp_standalone agree).
"""
from brian2 import NeuronGroup, StateMonitor, ms, run

G = NeuronGroup(3, '''dv0/dt = (0.5 - v0) / (16*ms) : 1
dv1/dt = clip(v1 / (abs(i) + 1), -10.0, 10.0) / (18*ms) : 1''', method='euler')
mon = StateMonitor(G, 'v0', record=True)
run(1*ms)
