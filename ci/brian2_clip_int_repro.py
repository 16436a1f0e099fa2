"""clip() of an integer with float bounds: numpy gives the bound, cython and cpp_standalone truncate it.

Found by `brian2-harness fuzz` on brian2 2.10.1 (2026-12-06; docs/fuzzing.md). Brian's C++ implementation is
`template <typename T> static inline T _clip(const T value, const double a_min, const double a_max)`
(brian2/codegen/generators/cpp_generator.py): with an integer `value` the float bound is returned as an integer.
`brian2-harness check ci/brian2_clip_int_repro.py --devices numpy,cython,cpp_standalone` measured: numpy -3.75,
cython -3, cpp_standalone -3 (mon.x, t = 0 ms).
"""
from brian2 import NeuronGroup, StateMonitor, ms, run

G = NeuronGroup(1, 'x : 1')
G.run_regularly('x = clip(i, -6.25, -3.75)')
mon = StateMonitor(G, 'x', record=True)
run(0.2*ms)
