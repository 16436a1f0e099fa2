"""BinomialFunction with its exact algorithm and p > 0.5 draws from another distribution on Cython (new; found by
`brian2-harness fuzz` on 2.10.1, 2026-12-06).

Affected: 2.5.4, 2.10.1, 2.11.0 on cython (measured with cython@2.5.4 and cython@2.11.0; the Cython code template puts p where its C++ twin puts P = 1 - p into the
          inversion's recurrence): BinomialFunction(39, 0.703125, approximate=False) has mean 33.8 and variance
          0.38 on cython, 27.4 and 8.1 on numpy and cpp_standalone (expected 27.42 and 8.14).
Fixed:    not fixed (2.11.0 is the newest release measured).
Shows as: a statistical device disagreement (`check` in its statistical mode: the streams differ).
"""
from brian2 import BinomialFunction, NeuronGroup, StateMonitor, ms, run

draw = BinomialFunction(39, 0.703125, approximate=False)
G = NeuronGroup(200, 'k : 1')
G.run_regularly('k = draw()')
mon = StateMonitor(G, 'k', record=True)
run(1*ms)
