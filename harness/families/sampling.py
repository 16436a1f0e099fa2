"""Drawing cases with Hypothesis, reproducibly: connectivity shapes every family uses, and `collect`.

Hypothesis also draws constants it collects from locally loaded modules, so the same seed would give other
cases in a process with other modules loaded. `collect` draws without those (`no_local_constants`), so
`--cases N --seed S` means the same cases in every process.
"""
from __future__ import annotations

import contextlib

from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st

TOPOLOGIES = ("random", "dense", "all_to_all", "multapse", "isolated", "empty", "single", "self")

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


@contextlib.contextmanager
def no_local_constants():
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


def collect(strategy, n: int, seed_value: int) -> list:
    with no_local_constants():
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


