"""Brian-free simulations of known-bad rules, to state how far each deviates from the oracle.

Used to check that a cell fails exactly when a mutant's deviation exceeds the cell's stated bounds. The loop
mirrors harness/oracle.py (same order and arithmetic), with the bug switched in.
"""
import numpy as np

from brian2_harness.families.growth.network import pack
from brian2_harness.families.growth.observables import GrowthObservables
from brian2_harness.families.growth.oracle import own_targets, simulate

KINDS = ("no_normalization", "divide_n_plus_1", "beta_squared", "lag")


def simulate_mutant(case, kind: str) -> GrowthObservables:
    net, _ = pack([case])
    if kind == "lag":
        o = simulate(net, "lagged")
        return GrowthObservables(o.w_before, o.w_after, o.j, o.n_post)
    dtype = np.dtype(net.dtype)
    n_in = np.bincount(net.j, minlength=net.n_post)
    n_div = (np.where(n_in > 0, n_in, 1) + (1 if kind == "divide_n_plus_1" else 0)).astype(dtype)
    inc = net.dt * net.g.astype(dtype).astype(np.float64)
    B, _ = own_targets(net)
    if kind == "beta_squared":
        B = (B.astype(np.float64) * net.beta).astype(dtype)
    spp = int(round(net.period / net.dt))
    w = net.w0.astype(dtype).copy()
    before = np.empty((net.n_events, w.size), dtype=dtype)
    after = np.empty_like(before)

    def grow(w):
        return (w.astype(np.float64) + inc).astype(dtype)

    for e in range(net.n_events):
        w = grow(w)
        before[e] = w
        if kind != "no_normalization":
            total = np.zeros(net.n_post, dtype=dtype)
            np.add.at(total, net.j, w)
            w = (w - np.maximum((total - B) / n_div, dtype.type(0))[net.j]).astype(dtype)
        after[e] = w
        for _ in range(spp - 1):
            w = grow(w)
    return GrowthObservables(before, after, net.j, net.n_post)
