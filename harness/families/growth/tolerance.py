"""Tolerances derived from floating-point precision, never guessed, per postsynaptic neuron.

Two implementations of the growth model do the same IEEE operations per time step (Euler `w + dt*g`,
correctly rounded), so per-step growth does not make them diverge: adding the same increment to two grid
values in the same binade preserves their difference exactly. They differ where the order of operations
is free: the per-neuron sum S_i at each event. Summing N terms sequentially in a different order changes the
result by at most (N-1)*eps*sum|w| (Higham's gamma bound); that error reaches each weight of neuron i through
(S_i - B_i)/N_i and persists. Normalization acts per neuron, so every quantity is the neuron's own: for
post neuron i with in-degree N_i and scale W_i = max(|w|, |S_i|/N_i, |B_i|/N_i) over its synapses and the run,

    tol_w[i]     = eps * W_i * (E * (N_i + 2) + 4) + dB_i / N_i   per incoming weight of neuron i
    tol_total[i] = tol_w[i] * (N_i + 1)                            per total of neuron i (and its clip band)

E = number of normalization events, eps = machine epsilon of the dtype. The "+2" per event covers the
subtraction and division rounding, the "+4" a few binade crossings. dB_i bounds how far the B_i the device
was given may lie from the oracle's own (the harness sums w0 sequentially in float64, the oracle exactly):
eps64 * N_i * beta * sum|w0_i| + eps * |B_i| (the cast to the dtype). A huge weight on one neuron therefore
widens only that neuron's bound, never another's.

Contraction: generated C++ (Brian's default flags include -ffast-math -march=native, for Cython and C++
standalone alike) may fuse the Euler step `dt*g + w` into one fused multiply-add. The step is computed in
double precision in every dtype, and fused and unfused results are at most one double ulp apart per step, so
for such devices the bound adds eps(float64) * W_i * n_steps (6.7e-12 for 30,000 steps at W = 1). numpy
evaluates the step as two ufuncs and never contracts: its cells carry no such term. In float32 the double
result is then rounded to float32; a fused step can flip that rounding only when the double result lies within
one double ulp of a float32 rounding midpoint (about 2**-29 of increments): such cases are not covered.

For a model without an oracle (user variants), the reduction structure is unknown; the bound is one
rounding per step and value, per observable and recorded index: tol = eps * W_row * n_steps.
"""
from __future__ import annotations

import numpy as np

from brian2_harness.families.bounds import ARITHMETIC, NeuronBounds, _floor, eps, neuron_scale


def growth_weight_tolerance(dtype: str, n_events, max_in_degree, scale, n_steps: int = 0, *,
                            contracting: bool = True, b_error=0.0):
    """The growth bound above for one neuron (or, vectorized, for each neuron of a case).

    `scale` is the neuron's W, `max_in_degree` its N; `contracting`: the device may fuse the Euler step
    (compiled code), adding eps64 * W * n_steps; `b_error`: a bound on how far the device's B may lie from the
    oracle's (different summation of sum w0), which reaches each weight divided by N.
    """
    scale = _floor(scale, dtype)
    n = np.maximum(np.asarray(max_in_degree), 1)
    tol = eps(dtype) * scale * (n_events * (np.asarray(max_in_degree) + 2) + 4) + np.asarray(b_error) / n
    if contracting:
        tol = tol + eps("float64") * scale * max(n_steps, 0)
    return tol if np.ndim(tol) else float(tol)


def growth_total_tolerance(tol_w, max_in_degree):
    tol = np.asarray(tol_w) * (np.asarray(max_in_degree) + 1)
    return tol if np.ndim(tol) else float(tol)


def cuda_weight_tolerance(dtype: str, n_events: int, max_in_degree: int, scale: float, n_steps: int, *,
                          fast_math: bool = True, contracted_steps: int | None = None) -> float:
    """Per-weight tolerance for cuda_standalone (brian2cuda) against the oracle or a CPU device.

    brian2cuda compiles with `-use_fast_math` (= --ftz=true --prec-div=false --prec-sqrt=false
    --fmad=true) and forms summed variables with `atomicAdd`. With u = eps/2 (unit roundoff),
    W = `scale` (max |w|), N = `max_in_degree`, E = `n_events`, S = `n_steps`:

    * Summation in arbitrary order. Atomics add the N terms of S_i sequentially in an order chosen by the
      scheduler, different from the reference's and from run to run. Any sequential order satisfies
      |S^ - S| <= gamma_{N-1} * sum|w| <= gamma_{N-1} * N * W, gamma_k = k*u / (1 - k*u) (Higham, Accuracy
      and Stability of Numerical Algorithms, Lemma 3.1/3.4). Device and reference each have such an error,
      so they differ by at most 2*gamma_{N-1}*N*W; through (S_i - B_i)/N_i each weight moves by at most
      2*gamma_{N-1}*W = eps*W*(N-1)/(1-(N-1)u) per event. (This is the order-of-summation term the CPU bound
      already contains; atomics only make the order unknown and non-deterministic, not the bound larger.)
    * The per-event arithmetic, both sides, quantities bounded by W after the division by N:
      S - B: u each side -> 1 eps*W; division: 0.5 ulp on the reference, k_div ulp on the device, with
      k_div = 2 for float32 under fast math (-prec-div=false: x/y is approximate, max 2 ulp, CUDA C
      Programming Guide, single-precision intrinsics) and 0.5 otherwise (fast math does not change
      double-precision division) -> (k_div + 0.5) eps*W; w - x: 1 eps*W. In all: (2.5 + k_div) eps*W.
    * FMA contraction (--fmad=true, nvcc's default even without fast math): the Euler step
      `_w = (dt * g) + w` becomes fma(dt, g, w), one rounding instead of two. Both results are correctly
      rounded values of numbers within u*|dt*g| of each other, so per step they are equal or one ulp(w)
      apart. Within one binade the offset of w + dt*g against the rounding grid is the same at every step,
      so a synapse whose increment sits next to a rounding midpoint differs at *every* step: the worst
      case grows by eps*W per step and is reached for about one g in 1e5 (float64; float32 rounds the
      double-precision result again, about one in 1e8). `contracted_steps` (default `n_steps`) is the number
      of steps in which contraction can occur; 0 for a build with --fmad=false.
    * Flush to zero (float32 only): a result below the smallest normal number (tiny) becomes 0, an absolute
      error < tiny per operation: tiny * (4E + S).
    * +4 eps*W: a few binade crossings of the growing weights, as in the CPU bound.

        tol_w = eps * W * (E * ((N-1)/(1-(N-1)u) + 2.5 + k_div) + S_contracted + 4)  [+ tiny*(4E + S)]

    With k_div = 0.5, S_contracted = 0 this is `growth_weight_tolerance` (E*(N+2) + 4) up to the gamma
    denominator. On the default case in float64 (E=3, N=8, S=30000, W~1) tol_w ~ 7e-12: a one-step lag
    (g*dt = 1e-5 per weight) is 1e6 times larger. In float32 the worst-case contraction term alone is
    S*eps*W ~ 3.6e-3 and a lag of 1e-5 is *not* distinguishable by this bound; float64 cells detect it.
    """
    dt = np.dtype(dtype)
    e, tiny = eps(dtype), float(np.finfo(dt).tiny)
    u = e / 2
    n = np.maximum(np.asarray(max_in_degree), 1)
    if np.any((n - 1) * u >= 0.5):
        raise ValueError(f"in-degree {int(np.max(n))} too large for a summation bound in {dtype}")
    scale = np.maximum(scale, tiny)
    single = dt == np.float32
    k_div = 2.0 if (fast_math and single) else 0.5
    steps = n_steps if contracted_steps is None else contracted_steps
    per_event = (n - 1) / (1 - (n - 1) * u) + 2.5 + k_div
    tol = e * scale * (n_events * per_event + max(steps, 0) + 4)
    if fast_math and single:
        tol = tol + tiny * (4 * n_events + max(steps, 0))
    return tol if np.ndim(tol) else float(tol)


def growth_bounds(truth, dtype: str, n_steps: int, arithmetic: str = "ieee") -> NeuronBounds:
    """Bounds of the growth family from the reference observables (ideally the oracle's)."""
    if arithmetic not in ARITHMETIC:
        raise ValueError(f"arithmetic must be one of {', '.join(ARITHMETIC)}, got {arithmetic!r}")
    n_in = np.bincount(truth.j, minlength=truth.n_post)
    n_div = np.maximum(n_in, 1)
    extra = []
    if getattr(truth, "seen_total", None) is not None:
        extra = [truth.seen_total / n_div, truth.target / n_div]
    W = neuron_scale([truth.w_before, truth.w_after], truth.j, truth.n_post, extra)
    b_error = getattr(truth, "b_error", None)
    b_error = np.zeros(truth.n_post) if b_error is None else np.asarray(b_error, dtype=np.float64)
    n_events = truth.w_after.shape[0]
    if arithmetic == "cuda_fast_math":
        tol = cuda_weight_tolerance(dtype, n_events, n_in, W, n_steps) + b_error / n_div
    else:
        tol = growth_weight_tolerance(dtype, n_events, n_in, W, n_steps,
                                      contracting=arithmetic == "ieee_contract", b_error=b_error)
    tol = np.broadcast_to(np.asarray(tol, dtype=np.float64), (truth.n_post,)).copy()
    return NeuronBounds(weight=tol, total=np.asarray(growth_total_tolerance(tol, n_in), dtype=np.float64),
                        has_syn=n_in > 0)
