"""Concrete models from a seed, reproducibly: the examples Hypothesis generates for `model(shares)` under `@seed`.

`draw(gen_seed, count, shares)` runs the strategy as a property that never fails (generate phase only, no
database), so the examples are Hypothesis's own generation sequence for that seed; model `k` of it is identified
by (gen_seed, position). Shrinking (shrink.py) replays the same sequence under the same seed until it reaches that
model, which Hypothesis then shrinks: the finding's minimal model comes from Hypothesis's shrinker, not ours.
"""
from __future__ import annotations

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import seed as hseed

from ..families.sampling import no_local_constants
from .random_models import strategy
from .strategies import Model

GENERATE = dict(phases=[Phase.generate], database=None, deadline=None, suppress_health_check=list(HealthCheck),
                derandomize=False, print_blob=False)


def examples_for(count: int) -> int:
    """How many examples Hypothesis is allowed for `count` models (shrinking replays with the same number)."""
    return 5 * count


def draw(gen_seed: int, count: int, shares: dict, max_examples: int | None = None,
         stochastic: bool = False) -> list[tuple[int, Model]]:
    """Up to `count` distinct models as (position in the generation sequence, model), first come first; a model
    without a monitor (nothing to compare: Hypothesis's first, simplest examples) is skipped. `stochastic`: the
    models of random_models.py (a stochastic pack), else strategies.py's (random_models.strategy)."""
    out: list[tuple[int, Model]] = []
    seen: set = set()
    position = [0]

    @hseed(gen_seed)
    @settings(max_examples=max_examples or examples_for(count), **GENERATE)
    @given(strategy(shares, stochastic))
    def collect(m):
        k = position[0]
        position[0] += 1
        if m not in seen and len(out) < count and observable(m):
            seen.add(m)
            out.append((k, m))

    with no_local_constants():     # the same models in every process, whatever else it has loaded
        collect()
    return out


def observable(m: Model) -> bool:
    return any("Monitor(" in line for line in m.lines)
