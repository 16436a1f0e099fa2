"""Hypothesis strategies for growth-family cases, and seeded generation of case lists for the CLI.

Both draw from the same strategies, so a `run --cases N --seed S` covers the shapes the property tests do:
zero synapses, one synapse, isolated neurons, multapses, self-connections (i == j), all-to-all, dense
in-degree (30-48 synapses onto one neuron), weights from 1e-6 to 1e6 mixed within one case, zero/tiny/negative
weights, negative growth, beta placed on the clip boundary, and dyadic boundary cases whose clip decisions are
exact in every dtype (so they are judged, not waved through as "boundary").

Hypothesis also draws constants it collects from locally loaded modules, so the same seed would give other
cases in a process with other modules loaded. `_collect` draws without those (`_no_local_constants`), so
`--cases N --seed S` means the same cases in every process.
"""
from __future__ import annotations

import contextlib

import numpy as np
from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st

from .case import Case

TOPOLOGIES = ("random", "dense", "all_to_all", "multapse", "isolated", "empty", "single", "self")
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
def connectivity(draw, max_neurons: int = 8, max_synapses: int = 40):
    kind = draw(st.sampled_from(TOPOLOGIES))
    n_pre = draw(st.integers(1, max_neurons))
    n_post = draw(st.integers(1, max_neurons))
    if kind == "empty":
        pairs = []
    elif kind == "single":
        pairs = [(draw(st.integers(0, n_pre - 1)), draw(st.integers(0, n_post - 1)))]
    elif kind == "isolated":   # some post neurons receive nothing
        n_post = max(n_post, 2)
        targets = draw(st.lists(st.integers(0, n_post - 1), min_size=1, max_size=n_post - 1, unique=True))
        pairs = [(draw(st.integers(0, n_pre - 1)), t) for t in targets]
    elif kind == "multapse":   # the same pair more than once: counts twice in N_incoming
        a, b = draw(st.integers(0, n_pre - 1)), draw(st.integers(0, n_post - 1))
        pairs = [(a, b)] * draw(st.integers(2, 5))
        pairs += draw(st.lists(st.tuples(st.integers(0, n_pre - 1), st.integers(0, n_post - 1)), max_size=5))
    elif kind == "self":
        n = min(n_pre, n_post)
        pairs = [(k, k) for k in range(n)]
    elif kind == "all_to_all":
        pairs = [(a, b) for a in range(n_pre) for b in range(n_post)]
    elif kind == "dense":      # high in-degree: 30-48 synapses onto post 0 (multapses included), a few elsewhere
        pairs = [(draw(st.integers(0, n_pre - 1)), 0) for _ in range(draw(st.integers(30, 48)))]
        pairs += draw(st.lists(st.tuples(st.integers(0, n_pre - 1), st.integers(0, n_post - 1)), max_size=6))
    else:
        pairs = draw(st.lists(st.tuples(st.integers(0, n_pre - 1), st.integers(0, n_post - 1)),
                              min_size=1, max_size=max_synapses))
    pairs = pairs[:max_synapses]
    return n_pre, n_post, [p[0] for p in pairs], [p[1] for p in pairs]


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
    out = _collect(cases(dtype=dtype, schedules=schedules), n, seed_value)
    return [c.replace(name=f"s{seed_value}-{k:04d}") for k, c in enumerate(out)]


# --- metaplastic family: spike trains on the dt grid ---------------------------------------------------
META_SCHEDULE = dict(dt=1e-4, period=0.1, T_meta=0.05, duration=0.2)


@st.composite
def spike_train(draw, n_neurons: int, n_steps: int, boundaries: list[int], partner: list[tuple[int, int]] = ()):
    """(neuron, step) pairs: silent neurons, random spikes, bursts, spikes on event steps, copies of a partner."""
    spikes = set()
    for n in range(n_neurons):
        kind = draw(st.sampled_from(["silent", "random", "burst", "boundary", "partner"]))
        if kind == "random":
            spikes |= {(n, s) for s in draw(st.lists(st.integers(0, n_steps - 1), max_size=12))}
        elif kind == "burst":
            start = draw(st.integers(0, n_steps - 6))
            spikes |= {(n, start + k) for k in range(draw(st.integers(2, 5)))}
        elif kind == "boundary":
            b = draw(st.sampled_from(boundaries))
            spikes |= {(n, s) for s in (b - 1, b, b + 1) if 0 <= s < n_steps}
        elif kind == "partner" and partner:
            spikes |= {(n, s) for (_, s) in draw(st.lists(st.sampled_from(list(partner)), max_size=6))}
    return sorted(spikes)


@st.composite
def meta_cases(draw, dtype: str = "float64", max_neurons: int = 8, max_synapses: int = 40):
    from .metaplastic import MetaCase
    n_pre, n_post, i, j = draw(connectivity(max_neurons, max_synapses))
    w0 = draw(st.lists(st.floats(0.0, 1.0, allow_nan=False, width=32), min_size=len(i), max_size=len(i)))
    s = META_SCHEDULE
    n_steps = int(round(s["duration"] / s["dt"]))
    boundaries = sorted({k * int(round(s["T_meta"] / s["dt"])) for k in range(int(s["duration"] / s["T_meta"]))})
    pre = draw(spike_train(n_pre, n_steps, boundaries))
    post = draw(spike_train(n_post, n_steps, boundaries, partner=pre))   # "partner": simultaneous pre/post
    beta = draw(st.sampled_from([1.08, 1.0, 0.9, 1.5]))
    return MetaCase(n_pre=n_pre, n_post=n_post, i=i, j=j, w0=w0, pre_spikes=pre, post_spikes=post, beta=beta,
                    dtype=dtype, **s)


@contextlib.contextmanager
def _no_local_constants():
    """Draw without the constants Hypothesis collects from locally loaded modules (see the module docstring).

    This reaches into Hypothesis' provider module; if a release renames it, nothing is patched and the
    cross-process test of `generate_cases` fails, naming the cause.
    """
    try:
        from hypothesis.internal.conjecture import providers
        getter, cache = providers._get_local_constants, providers.CONSTANTS_CACHE
        empty = type(providers._local_constants)()
    except (ImportError, AttributeError):
        yield
        return
    cache.cache.clear()
    providers._get_local_constants = lambda: empty
    try:
        yield
    finally:
        providers._get_local_constants = getter
        cache.cache.clear()


def _collect(strategy, n: int, seed_value: int) -> list:
    with _no_local_constants():
        return _collect_all(strategy, n, seed_value)


def _collect_all(strategy, n: int, seed_value: int) -> list:
    out: list = []
    attempt = 0
    while len(out) < n:
        need = n - len(out)

        @seed(seed_value * 1_000_003 + attempt)
        @settings(max_examples=need, database=None, phases=[Phase.generate], deadline=None,
                  suppress_health_check=list(HealthCheck))
        @given(strategy)
        def collect(case):
            if len(out) < n:
                out.append(case)

        collect()
        attempt += 1
    return out


def generate_meta_cases(n: int, seed_value: int, dtype: str = "float64") -> list:
    return [c.replace(name=f"m{seed_value}-{k:04d}") for k, c in enumerate(_collect(meta_cases(dtype), n, seed_value))]
