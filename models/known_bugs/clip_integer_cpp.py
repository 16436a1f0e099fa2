"""clip() of an integer with float bounds truncates the bound in Brian's C++ functions (new; found by
`brian2-harness fuzz` on 2.10.1, 2026-12-06; reproducer ci/brian2_clip_int_repro.py).

Affected: every release measured, 2.5.4 ... 2.11.0, on cython and cpp_standalone: Brian's C++ support code defines
`template <typename T> T _clip(const T value, const double a_min, const double a_max)`, so with an integer `value`
the float bound is returned as an integer (`clip(0, -6.25, -3.75)` is -3); numpy returns -3.75.
Fixed:    not fixed (2.11.0 is the newest release measured).
Shows as: a device disagreement (numpy right, cython and cpp_standalone wrong).
"""
from brian2 import NeuronGroup, StateMonitor, ms, run

G = NeuronGroup(3, 'x : 1')
G.run_regularly('x = clip(i, -6.25, -3.75) + clip(i, 0.5, 1.5)')
mon = StateMonitor(G, 'x', record=True)
run(0.2*ms)
