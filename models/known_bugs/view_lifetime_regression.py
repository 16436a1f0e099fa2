"""A synaptic variable read as `S.w[:]` outlives its memory (a regression of Brian2 2.10.0; ci/brian2_view_lifetime_repro.py).

Affected: Brian2 2.10.x and 2.11.0 on numpy and cython (measured: 2.10.1, 2.11.0): `S.w[:]` is a view into memory freed with the
          Synapses object, so a value returned from a function (as in examples/frompapers/Graupner_Brunel_2012.py)
          reads whatever reused that memory.
Fixed:    not yet (2.11.0 is affected); Brian2 2.5.4 ... 2.9.0 are not affected (they keep the memory alive).
Shows as: a result change against a baseline recorded with Brian2 <= 2.9.0 (the script keeps no monitor, so its
          module-level arrays are compared).
"""
import gc

import numpy as np
from brian2 import NeuronGroup, Synapses, ms, run


def weights_after_the_simulation():
    S = Synapses(NeuronGroup(1, ""), NeuronGroup(2000, ""), "w : 1")
    S.connect()
    S.w = 0.25
    run(1 * ms)
    return S.w[:]


view = weights_after_the_simulation()
gc.collect()
_reuse = [np.full(2000, 7.0) for _ in range(50)]     # allocations that may reuse the freed memory
weights = np.array(view, copy=True)
