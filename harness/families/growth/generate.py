"""Hypothesis strategies for growth-family cases, and seeded generation of case lists for the CLI.

Both draw from the same strategies, so a `run --cases N --seed S` covers the shapes the property tests do:
zero synapses, one synapse, isolated neurons, multapses, self-connections (i == j), all-to-all, dense
in-degree (30-48 synapses onto one neuron), weights from 1e-6 to 1e6 mixed within one case, zero/tiny/negative
weights, negative growth, beta placed on the clip boundary, and dyadic boundary cases whose clip decisions are
exact in every dtype (so they are judged, not waved through as "boundary").

Cases are drawn reproducibly in every process (families/sampling.py).
"""
from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

from brian2_harness.families.growth.case import Case
from brian2_harness.families.sampling import collect, connectivity

# (dt, period, duration) triples; short enough for property tests, long enough for several events
FAST_SCHEDULES = ((1e-4, 0.01, 0.03), (1e-4, 0.02, 0.04), (1e-4, 0.01, 0.01))
LONG_SCHEDULE = (1e-4, 2.0, 6.0)     # 60,000 steps, 3 events: where rounding of the growth accumulates

weights = st.one_of(
    st.floats(0.0, 1.0, allow_nan=False, allow_infinity=False, width=32),
    st.sampled_from([0.0, 1e-30, 1e-8, 0.5, 1.0, 1e3, 1e6, -0.25]),
)
# magnitudes 1e-6 .. 1e6 in one case: a huge weight on one neuron must not blind the check of another
mixed_weights = st.builds(lambda e, m: float(m * 10.0 ** e), st.integers(-6, 6), st.floats(1.0, 9.5, width=32))
# k / 2**m: sums are exact in float32 and float64, so clip decisions at the boundary are determinate
dyadic_weights = st.builds(lambda k, m: k / 2.0 ** m, st.integers(0, 64), st.integers(0, 8))
DYADIC_BETAS = (1.0, 1.0 - 2.0 ** -4, 1.0 + 2.0 ** -4, 0.75, 1.25)


@st.composite
def cases(draw, dtype: str = "float64", schedules=FAST_SCHEDULES, max_neurons: int = 8, max_synapses: int = 56):
    n_pre, n_post, i, j = draw(connectivity(max_neurons, max_synapses))
    profile = draw(st.sampled_from(["unit", "mixed", "dyadic"]))
    w0 = draw(st.lists({"unit": weights, "mixed": mixed_weights, "dyadic": dyadic_weights}[profile],
                       min_size=len(i), max_size=len(i)))
    dt, period, duration = draw(st.sampled_from(schedules))
    g = draw(st.sampled_from([0.1, 10.0, 0.0, -0.1, 1.0]))
    beta_kind = draw(st.sampled_from(["default", "below", "above", "boundary"]))
    if profile == "dyadic" and draw(st.booleans()):
        # exactly on (or a dyadic step off) the clip boundary, no growth: every decision is determinate
        g, beta_kind = 0.0, "dyadic"
    if beta_kind == "dyadic":
        beta = draw(st.sampled_from(DYADIC_BETAS))
    elif beta_kind == "default":
        beta = 1.08
    elif beta_kind == "below":
        beta = draw(st.floats(0.05, 0.99))
    elif beta_kind == "above":
        beta = draw(st.floats(1.01, 3.0))
    else:
        beta = boundary_beta(w0, j, g, dt, draw(st.integers(-2, 2)))
    return Case(n_pre=n_pre, n_post=n_post, i=i, j=j, w0=w0, beta=beta, g=g, period=period,
                duration=duration, dt=dt, dtype=dtype)


def boundary_beta(w0, j, g: float, dt: float, nudge: int) -> float:
    """beta that puts the first post neuron's total at the first event on B (the clip boundary), +- ulps."""
    w0 = np.asarray(w0, dtype=np.float64)
    if w0.size == 0:
        return 1.0
    mask = np.asarray(j) == j[0]
    s0 = float(w0[mask].sum())
    if s0 <= 0:
        return 1.0
    beta = (s0 + mask.sum() * g * dt) / s0
    for _ in range(abs(nudge)):
        beta = float(np.nextafter(beta, np.inf if nudge > 0 else -np.inf))
    return beta if beta > 0 and np.isfinite(beta) else 1.0


def generate_cases(n: int, seed_value: int, *, schedule: tuple[float, float, float] | None = None,
                   dtype: str = "float64", schedules=None) -> list[Case]:
    """`n` cases drawn deterministically (for a given seed, in any process) from `cases()`.

    With `schedule=(dt, period, duration)` every case uses that schedule, so all of them share one batch;
    `schedules` draws from several.
    """
    schedules = (schedule,) if schedule else (tuple(schedules) if schedules else FAST_SCHEDULES)
    out = collect(cases(dtype=dtype, schedules=schedules), n, seed_value)
    return [c.replace(name=f"s{seed_value}-{k:04d}") for k, c in enumerate(out)]


