"""Shrink a disagreeing model with Hypothesis: replay its generation sequence, fail on it, let Hypothesis shrink.

The property is "this model's script still shows the disagreement" (the same device, the same outcome: fail or
error; the reference must run). It is replayed under the seed that generated the model (generate.py): examples
before the target pass at once (no device runs), the target fails, and from then on Hypothesis's shrinker
proposes smaller models, each checked on the reference and the disagreeing device only. Results are cached by
script text; past `seconds` every further candidate passes, so Hypothesis stops with the smallest failing model
found so far. If the replay does not reach the target (Hypothesis draws differently in another process), the
finding keeps the unshrunk model.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import seed as hseed

from ..families.sampling import no_local_constants
from . import emit
from .generate import observable
from .random_models import strategy
from .strategies import Model


class _Reproduced(Exception):
    pass


@dataclass
class Shrunk:
    model: Model
    script: str
    reached: bool                  # the replay reached the target (else: the unshrunk model)
    candidates: int = 0            # scripts run on devices while shrinking
    seconds: float = 0.0
    failing: list = field(default_factory=list)    # every failing script seen (shortest last)


def size(text: str) -> tuple[int, int]:
    return len(emit.model_lines(text)), len(text)


def shrink(target: Model, gen_seed: int, max_examples: int, shares: dict, runs: tuple[int, ...], reproduces,
           seconds: float = 300.0, stochastic: bool = False) -> Shrunk:
    """Hypothesis's smallest model for which `reproduces(script_text) -> bool` holds, starting from `target`
    (a model of the generation sequence of `gen_seed`, drawn with the same `max_examples`: Hypothesis's
    generation may depend on it); `stochastic`: a model of a stochastic pack (random_models.strategy)."""
    t0 = time.perf_counter()
    state = {"hit": False, "seen": 0, "runs": 0}
    cache: dict[str, bool] = {}
    best = [(emit.script(target, runs), target)]

    @hseed(gen_seed)
    @settings(max_examples=max_examples, phases=[Phase.generate, Phase.shrink], database=None, deadline=None,
              suppress_health_check=list(HealthCheck), report_multiple_bugs=False, print_blob=False)
    @given(strategy(shares, stochastic))
    def prop(m):
        text = emit.script(m, runs)
        if not state["hit"]:
            state["seen"] += 1
            if m != target:
                return
            state["hit"] = True
            cache[text] = True
        elif text not in cache:
            if time.perf_counter() - t0 > seconds or not observable(m):
                return
            state["runs"] += 1
            cache[text] = bool(reproduces(text))
        if cache[text] and size(text) < size(best[-1][0]):
            best.append((text, m))
        if cache[text]:          # one place raises: Hypothesis tells failures apart by where they were raised
            raise _Reproduced

    try:
        with no_local_constants():     # as generate.draw drew it: the replay reaches the same model
            prop()
    except Exception:      # noqa: BLE001  (_Reproduced, or Hypothesis's Flaky/MultipleFailures wrapping it)
        pass
    text, m = best[-1]
    return Shrunk(m, text, state["hit"], state["runs"], time.perf_counter() - t0, [t for t, _ in best])
