"""Reproducer: in brian2 2.10.1 and 2.11.0 a synaptic variable read as `S.w[:]` is a view whose memory is freed
with the Synapses object (2.5.4 to 2.9.0 keep it alive). Found by the examples table: Graupner_Brunel_2012.py
returns `synapses.rho[:]` from a function run in a multiprocessing pool, so what it pickles back is whatever
reused that memory (values like 4.9e-324 and -3e301 on cython, plausible-looking ones on numpy).

    python ci/brian2_view_lifetime_repro.py [numpy|cython]     exit 1 when the values read back are wrong

Measured 2026-11-27 (Python 3.11/3.12/3.13, tox hist-brian2.* envs): 2.5.4, 2.8.0.4, 2.9.0: 0.25 everywhere on
numpy and cython; 2.10.1, 2.11.0 numpy: 7.0 (the values of arrays allocated after the object was collected).
"""
import gc
import sys

import numpy as np
from brian2 import NeuronGroup, Synapses, __version__, ms, prefs, run


def read_after_the_object_is_gone(target: str) -> np.ndarray:
    prefs.codegen.target = target

    def sim():
        S = Synapses(NeuronGroup(1, ""), NeuronGroup(2000, ""), "w : 1")
        S.connect()
        S.w = 0.25
        run(1 * ms)
        return S.w[:]

    w = sim()
    gc.collect()
    _reuse = [np.full(2000, 7.0) for _ in range(50)]     # allocations that may reuse the freed memory
    return w.copy()


if __name__ == "__main__":
    target = sys.argv[1] if len(sys.argv) > 1 else "numpy"
    w = read_after_the_object_is_gone(target)
    ok = bool((w == 0.25).all())
    print(f"brian2 {__version__}, {target}: S.w[:] after the Synapses object was collected: min {w.min():.4g}, "
          f"max {w.max():.4g} -> {'intact' if ok else 'WRONG (freed memory)'}")
    sys.exit(0 if ok else 1)
