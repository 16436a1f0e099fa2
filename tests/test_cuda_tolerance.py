"""The cuda_standalone tolerance (fast math, atomics, FMA contraction): derivation checks, no Brian."""
import math
from fractions import Fraction

import numpy as np
import pytest

from brian2_harness.families.bounds import eps, weight_scale
from brian2_harness.families.growth.case import default_case
from brian2_harness.families.growth.network import pack
from brian2_harness.families.growth.oracle import simulate
from brian2_harness.families.growth.tolerance import cuda_weight_tolerance, growth_weight_tolerance


def _default(dtype, schedule):
    case = default_case(dtype=dtype)
    net, _ = pack([case])
    return case, simulate(net, schedule)


def _tolerance_for(case, obs, dtype, **kw):
    n_max = int(np.bincount(obs.j, minlength=obs.n_post).max())
    return cuda_weight_tolerance(dtype, obs.w_after.shape[0], n_max, weight_scale(obs.w_before, obs.w_after),
                                 case.n_steps, **kw)


def test_reduces_to_the_cpu_bound_without_fast_math_and_contraction():
    for dtype in ("float64", "float32"):
        cpu = growth_weight_tolerance(dtype, 3, 8, 2.0)
        # equal up to the gamma denominator 1/(1-(N-1)u)
        assert cuda_weight_tolerance(dtype, 3, 8, 2.0, 30000, fast_math=False, contracted_steps=0) == \
            pytest.approx(cpu, rel=8 * eps(dtype))


def test_formula_terms():
    e32, e64 = eps("float32"), eps("float64")
    # float32 fast math: approximate division (2 ulp instead of 0.5) adds 1.5 eps*W per event
    no_fm = cuda_weight_tolerance("float32", 3, 8, 1.0, 0, fast_math=False)
    fm = cuda_weight_tolerance("float32", 3, 8, 1.0, 0)
    assert fm - no_fm == pytest.approx(3 * 1.5 * e32, rel=1e-6)
    # float64: fast math changes nothing but contraction, one eps*W per contracted step
    assert cuda_weight_tolerance("float64", 3, 8, 1.0, 1000, fast_math=True) - \
        cuda_weight_tolerance("float64", 3, 8, 1.0, 0) == pytest.approx(1000 * e64, rel=1e-9)
    assert cuda_weight_tolerance("float64", 3, 8, 1.0, 1000, contracted_steps=0) == \
        cuda_weight_tolerance("float64", 3, 8, 1.0, 0)
    with pytest.raises(ValueError):
        cuda_weight_tolerance("float32", 1, 2 ** 24, 1.0, 0)


def test_catches_a_one_step_lag_in_float64_on_the_default_case():
    case, aligned = _default("float64", "aligned")
    _, lagged = _default("float64", "lagged")
    tol = _tolerance_for(case, aligned, "float64")
    lag = float(np.max(np.abs(lagged.w_after - aligned.w_after)))
    assert lag == pytest.approx(case.g * case.dt, rel=0.05)       # g*dt = 1e-5
    assert tol < 1e-10 and lag > 1e5 * tol


def test_float32_worst_case_contraction_hides_the_lag_unless_contraction_is_off():
    case, aligned = _default("float32", "aligned")
    _, lagged = _default("float32", "lagged")
    lag = float(np.max(np.abs(lagged.w_after.astype(float) - aligned.w_after.astype(float))))
    assert lag < _tolerance_for(case, aligned, "float32")                      # documented limitation
    assert lag > 2 * _tolerance_for(case, aligned, "float32", contracted_steps=0)


def test_any_summation_order_stays_within_gamma():
    """Atomics add in an arbitrary order: every order is within gamma_{N-1} * sum|w| of the exact sum."""
    rng = np.random.default_rng(1)
    for dtype in (np.float32, np.float64):
        u = eps(np.dtype(dtype).name) / 2
        for n in (2, 8, 64, 513):
            w = rng.uniform(0, 1, n).astype(dtype)
            exact = sum(Fraction(float(x)) for x in w)
            gamma = (n - 1) * u / (1 - (n - 1) * u)
            bound = gamma * float(np.sum(np.abs(w.astype(np.float64))))
            for _ in range(20):
                s = dtype(0)
                for x in rng.permutation(w):
                    s = dtype(s + x)
                assert abs(float(Fraction(float(s)) - exact)) <= bound


def _fma(a: float, b: float, c: float) -> float:
    """Correctly rounded a*b + c (int/int true division in CPython is correctly rounded)."""
    return float(Fraction(a) * Fraction(b) + Fraction(c))


def _adversarial_g(dt: float, w0: float) -> float:
    """A growth rate whose exact increment p = dt*g lies just below a rounding midpoint of w's grid while
    fl(p) is that midpoint: w + fl(p) is then a tie (rounded to even) but fma(dt, g, w) rounds down.

    Stepping g by one ulp moves p by dt*ulp(g); the midpoint a whole period of w's grid later is reached
    after s0 such steps. With dt = 1e-4 the reachable offsets form a lattice, so a few g are tried."""
    ulp_w = Fraction(float(np.spacing(w0)))
    for g0 in (0.1, 0.11, 0.12, 0.13, 0.14, 0.15, 0.16, 0.17, 0.18, 0.19):
        ulp_g = float(np.spacing(g0))
        a = Fraction(dt) * Fraction(g0) / ulp_w
        step = Fraction(dt) * Fraction(ulp_g) / ulp_w
        s0 = math.floor((math.floor(a) + Fraction(3, 2) - a) / step)
        for s in range(s0 - 2, s0 + 3):
            g = g0 + s * ulp_g
            p = Fraction(dt) * Fraction(g)
            mid = (math.floor(p / ulp_w) + Fraction(1, 2)) * ulp_w
            if p < mid and Fraction(dt * g) == mid:
                return g
    raise AssertionError("no adversarial g found")


def test_fma_contraction_can_drift_one_ulp_per_step_and_stays_within_the_bound():
    dt, w0, steps = 1e-4, 0.6, 2000
    g = _adversarial_g(dt, w0)
    ref = dev = w0
    inc = dt * g
    for _ in range(steps):
        ref = ref + inc               # two roundings (numpy, the oracle)
        dev = _fma(dt, g, dev)        # one rounding (nvcc --fmad=true)
    drift = abs(dev - ref)
    ulp = float(np.spacing(max(ref, dev)))
    assert drift >= 0.5 * steps * ulp         # real: here one ulp at every step (1999 of 2000)
    assert drift <= steps * eps("float64") * max(ref, dev)          # the contraction term bounds it
    # a generic g (the usual case) does not drift at all
    g2, ref, dev = 0.1, w0, w0
    for _ in range(steps):
        ref, dev = ref + dt * g2, _fma(dt, g2, dev)
    assert abs(dev - ref) <= 2 * ulp


def test_gpu_sized_batch_memory_estimate_and_summary_line():
    """10^5 cases in one build: the memory estimate the bench states, and its one-line summary."""
    from brian2_harness.tools.bench_cases import all_to_all_cases
    from brian2_harness.tools.cuda_bench import cuda_line, memory_estimate_mb
    cases = all_to_all_cases(1000, 2)
    per_case = 8 * (4 * (2 * 3 + 6) + 4 * (2 + 2) + 2 * 3)      # families/cases.estimated_bytes, 3 events
    assert memory_estimate_mb(cases) == pytest.approx(1000 * per_case / 2**20)
    line = cuda_line({"mode": "build", "cases": 100_000, "synapses": 400_000, "builds": 1, "cases_per_build": 1e5,
                      "build_seconds": 120.0, "compile_cpu_seconds": 90.0, "memory_estimate_mb": 64.1,
                      "cells_ok": 100_000, "errors": []})
    assert "100000 cases per build" in line and "estimated memory 64.1 MB" in line and "built" in line
