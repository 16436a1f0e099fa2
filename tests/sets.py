"""The generated case sets the Brian tests verify, and what they must contain (checked in test_sets.py).

Drawn with `generate_cases` (reproducible in every process), not from Hypothesis' first examples: a set
holds dense in-degree, multapses, weights from 1e-6 to 1e6 in one case, negative growth, 60,000-step schedules
and dyadic boundary cases, and the metaplastic set real spike trains on >= 8x4 synapses.
"""
from functools import lru_cache

import numpy as np

from brian2_harness.families.growth.case import default_case
from brian2_harness.families.growth.generate import FAST_SCHEDULES, LONG_SCHEDULE, generate_cases
from brian2_harness.families.metaplastic.case import default_meta_case
from brian2_harness.families.metaplastic.generate import generate_meta_cases

SCHEDULES = (FAST_SCHEDULES[0], LONG_SCHEDULE)
DYADIC_BETAS = (1.0, 1.0 - 2.0 ** -4, 1.0 + 2.0 ** -4, 0.75, 1.25)


@lru_cache
def growth_set(seed: int = 7, n: int = 30) -> tuple:
    """The default case (on the long schedule, so that it shares that batch's build) and `n` generated cases."""
    dt, period, duration = LONG_SCHEDULE
    return tuple([default_case(dt=dt, period=period, duration=duration)] + generate_cases(n, seed, schedules=SCHEDULES))


@lru_cache
def meta_set(seed: int = 1, n: int = 40) -> tuple:
    return tuple([default_meta_case()] + generate_meta_cases(n, seed))


def growth_coverage(cases) -> dict:
    spans = [(min(abs(w) for w in c.w0 if w), max(abs(w) for w in c.w0)) for c in cases if any(c.w0)]
    return {
        "max_in_degree": max((int(np.bincount(c.j).max()) if c.j else 0) for c in cases),
        "multapse_cases": sum(len(set(zip(c.i, c.j))) < len(c.i) for c in cases),
        "mixed_1e-6_1e6_cases": sum(lo <= 1e-5 and hi >= 1e5 for lo, hi in spans),
        "negative_growth_cases": sum(c.g < 0 for c in cases),
        "max_steps": max(c.n_steps for c in cases),
        "dyadic_boundary_cases": sum(c.g == 0 and c.beta in DYADIC_BETAS and
                                     all(float(w * 256).is_integer() for w in c.w0) for c in cases),
        "empty_cases": sum(not c.i for c in cases),
    }


def meta_coverage(cases) -> dict:
    return {
        "max_synapses": max(len(c.i) for c in cases),
        "cases_8x4_with_spikes": sum(c.n_pre >= 8 and c.n_post >= 4 and len(c.i) >= 32 and bool(c.pre_spikes)
                                     and bool(c.post_spikes) for c in cases),
        "max_post_spikes": max(len(c.post_spikes) for c in cases),
    }
