"""The number 1 written as `true` in C++ code (Brian2 issue #1520, fixed in 2.7.0).

Affected: Brian2 2.6.0 on cpp_standalone: `(i % 7) * (1.0/M)` is rendered `1.0f*(true * (_brian_mod(i, 7)))/M`;
          `1.0f` times an integer is a C++ `float`, so the division runs in single precision.
Fixed:    Brian2 2.7.0 (release notes: "The numbers 0 and 1 were converted into true/false in C++ code (#1520)").
          2.5.4 (before it) writes `1.0f*(1.0 * ...)`, a double.
Shows as: a device disagreement (numpy and cython right, cpp_standalone wrong): 1/3 is 0.33333333333333331 in
          double and 0.3333333432674408 in float; the rounding alone (6e-8) is inside the exact tolerance of `x`,
          the threshold on it (`above`, i = 1) is not.
Found by the examples table: Kremer et al. 2011 fails on cpp_standalone under 2.6.0 (docs/brian2-examples.md).
"""
from brian2 import NeuronGroup, StateMonitor, ms, run

M = 3
G = NeuronGroup(7, '''x : 1
                      above : boolean''')
G.x = '(i % 7) * (1.0/M)'
G.run_regularly('above = x > 0.333333338')
mon = StateMonitor(G, ['x', 'above'], record=True)
run(0.2*ms)
