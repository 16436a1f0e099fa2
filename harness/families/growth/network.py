"""`GrowthNetwork`: the arrays a variant builds from and the oracle simulates; packing of many cases into one.

Normalization acts per postsynaptic neuron and growth per synapse, so cases placed in disjoint blocks of
neurons and synapses cannot interact: one simulated network verifies a whole batch. Per-case parameters
(beta, g) become per-neuron / per-synapse values. B_i is computed here, outside generated code.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from brian2_harness.families.cases import Packed
from brian2_harness.families.growth.case import Case


@dataclass(frozen=True)
class GrowthNetwork(Packed):
    n_pre: int
    n_post: int
    i: np.ndarray          # int32, presynaptic index per synapse
    j: np.ndarray          # int32, postsynaptic index per synapse
    w0: np.ndarray         # initial weights, already in `dtype`
    g: np.ndarray          # growth rate per synapse (1/second), float64
    beta: np.ndarray       # per post neuron, float64
    B: np.ndarray          # target total per post neuron, in `dtype`
    dt: float
    period: float
    duration: float
    dtype: str


@dataclass(frozen=True)
class Block:
    """Where one case sits inside a packed network."""

    syn: slice
    post: slice


def target_totals(w0: np.ndarray, j: np.ndarray, beta: np.ndarray, n_post: int, dtype: str) -> np.ndarray:
    """B_i = beta_i * sum_j w_ij(0), summed in float64 from the stored weights, then stored in `dtype`."""
    s0 = np.bincount(j, weights=w0.astype(np.float64), minlength=n_post)
    return (beta * s0).astype(dtype)


def pack(cases: list[Case]) -> tuple[GrowthNetwork, list[Block]]:
    """Pack cases that share `schedule_key` into one block-diagonal network."""
    if not cases:
        raise ValueError("pack() needs at least one case")
    keys = {c.schedule_key for c in cases}
    if len(keys) != 1:
        raise ValueError(f"cases with different schedules cannot share a network: {sorted(keys)}")
    first = cases[0]
    dtype = first.dtype
    pre_off = post_off = syn_off = 0
    i_parts, j_parts, w_parts, g_parts, beta_parts, blocks = [], [], [], [], [], []
    for c in cases:
        n = c.n_synapses
        i_parts.append(np.asarray(c.i, dtype=np.int32).reshape(n) + pre_off)
        j_parts.append(np.asarray(c.j, dtype=np.int32).reshape(n) + post_off)
        w_parts.append(np.asarray(c.w0, dtype=np.float64).reshape(n))
        g_parts.append(np.full(n, c.g, dtype=np.float64))
        beta_parts.append(np.full(c.n_post, c.beta, dtype=np.float64))
        blocks.append(Block(syn=slice(syn_off, syn_off + n), post=slice(post_off, post_off + c.n_post)))
        pre_off += c.n_pre
        post_off += c.n_post
        syn_off += n
    j = np.concatenate(j_parts).astype(np.int32)
    w0 = np.concatenate(w_parts).astype(dtype)
    beta = np.concatenate(beta_parts)
    net = GrowthNetwork(
        n_pre=pre_off, n_post=post_off,
        i=np.concatenate(i_parts).astype(np.int32), j=j, w0=w0,
        g=np.concatenate(g_parts), beta=beta,
        B=target_totals(w0, j, beta, post_off, dtype),
        dt=first.dt, period=first.period, duration=first.duration, dtype=dtype,
    )
    return net, blocks


def capacity(n: int, minimum: int = 8) -> int:
    """Next power of two >= n (at least `minimum`): few distinct shapes, so builds are reused."""
    c = minimum
    while c < n:
        c *= 2
    return c


def pad(net: GrowthNetwork) -> GrowthNetwork:
    """Grow a network to power-of-two sizes with inert padding that touches no real neuron.

    Padding synapses run from an extra pre neuron to an extra post neuron with w0 = 0, g = 0, B = 0:
    their total never exceeds B, so the rule never acts there. They are appended after the real synapses,
    so the first `net.n_synapses` synapses of the padded network are the real ones, in order.
    A network without synapses stays without synapses (the zero-synapse path is kept on purpose).
    """
    n_pre, n_post = capacity(net.n_pre + 1, 64), capacity(net.n_post + 1, 64)
    n_syn = 0 if net.n_synapses == 0 else capacity(net.n_synapses, 256)
    extra = n_syn - net.n_synapses
    i = np.concatenate([net.i, np.full(extra, net.n_pre, dtype=np.int32)])
    j = np.concatenate([net.j, np.full(extra, net.n_post, dtype=np.int32)])
    w0 = np.concatenate([net.w0, np.zeros(extra, dtype=net.dtype)])
    beta = np.concatenate([net.beta, np.ones(n_post - net.n_post)])
    B = np.concatenate([net.B, np.zeros(n_post - net.n_post, dtype=net.dtype)])
    return GrowthNetwork(n_pre=n_pre, n_post=n_post, i=i, j=j, w0=w0, g=np.concatenate([net.g, np.zeros(extra)]),
                         beta=beta, B=B, dt=net.dt, period=net.period, duration=net.duration, dtype=net.dtype)
