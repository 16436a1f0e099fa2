"""`1.0` written as `true` in C++ code: brian2 2.6.0 only (issue #1520, fixed in 2.7.0).

Found by the examples table (docs/brian2-examples.md): Kremer et al. 2011 on 2.6.0, cpp_standalone differs from numpy
with the same random stream. Brian 2.6.0's C++ renderer writes the number 1 as `true`, so `(i % 7) * (1.0/M)`
becomes `1.0f*(true * (_brian_mod(i, 7)))/M`: `1.0f*true*int` is a C++ float, and the division by M is done in
single precision. numpy and cython compute it in double; 2.5.4 and 2.7.0+ write `1.0f*(1.0 * ...)`, a double.
The float's rounding (up to 6e-8 here) is inside the exact tolerance of `x`; the threshold makes it a decision
(`above`, i = 1). `brian2-harness check ci/brian2_true_literal_repro.py --devices numpy,cython,cpp_standalone` (or print
`CPPNodeRenderer().render_expr('x*1.0')` from brian2.parsing.rendering: `true * x` on 2.6.0).
"""
from brian2 import NeuronGroup, StateMonitor, ms, run

M = 3
G = NeuronGroup(7, '''x : 1
                      above : boolean''')
G.x = '(i % 7) * (1.0/M)'
# 1/3 is 0.33333333333333331 in double and 0.3333333432674408 in float: only the float is above the threshold
G.run_regularly('above = x > 0.333333338')
mon = StateMonitor(G, ['x', 'above'], record=True)
run(0.2*ms)
