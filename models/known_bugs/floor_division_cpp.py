"""Integer floor division and modulo in C++ code (Brian2 issue #1495, fixed by PR #1496).

Affected: Brian2 <= 2.5.4 on cpp_standalone (C++ `/` and `%` truncate towards zero, and Brian's
integer `//` helper divided wrongly: `98 // 98 == 0`, `98 % 98 == 98`).
Fixed:    Brian2 2.6.0 (release notes: "Fix floor division on C++ (#1496)").
Shows as: a device disagreement (numpy and cython right, cpp_standalone wrong).
"""
import numpy as np
from brian2 import NeuronGroup, StateMonitor, defaultclock, run

values = np.arange(-150, 150)
G = NeuronGroup(len(values), """ivalue : integer (constant)
                                 quotient : integer
                                 remainder : integer""")
G.ivalue = values
G.run_regularly("quotient = ivalue // 98\nremainder = ivalue % 98")
mon = StateMonitor(G, ["quotient", "remainder"], record=True)
run(2 * defaultclock.dt)
