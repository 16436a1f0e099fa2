"""`fuzz --bench N`: models per minute packed (N models in one script: one build per device) against one script
per model (a sample of them, the same models), measured in one run on the same devices.

Both sides run from one script name (the standalone build folder is keyed by it), after a warm-up script that
compiles Brian's runtime library once, so neither side pays for it and each pays for its own new code objects."""
from __future__ import annotations

import os
import random
import time

from . import differential, emit, generate
from .strategies import Model, model_shares, schedule

WARM_UP = Model(("@G = NeuronGroup(2, 'k0 : integer', name='@G')",
                 "@mon = StateMonitor(@G, ['k0'], record=True, name='@mon')"))


def spread(models: list, sample: int) -> list[tuple[int, Model]]:
    """`sample` of the models, evenly spaced through the list (index, model): Hypothesis draws its simplest models
    first, so the first few alone (a one-variable group) made one script per model look faster than it is."""
    if sample <= 0 or not models:
        return []
    step = max(1, len(models) // sample)
    return [(k, models[k]) for k in range(0, len(models), step)][:sample]


def run(n: int, devices: list[str], shares: dict, seed: int, out: str, *, sample: int = 3, timeout: float = 600.0,
        cache_dir=None, say=print, runner=None) -> dict:
    work = os.path.join(out, "bench")
    os.makedirs(work, exist_ok=True)
    cache = cache_dir or os.path.join(out, "cache")
    runs = schedule(random.Random(seed), shares["several_runs"], shares.get("dt_change", 0.0),
                    shares.get("store_restore", 0.0), shares.get("run_changes", 0.0))
    models = [m for _, m in generate.draw(seed, n, model_shares(shares, runs))]

    def timed(text, label):
        t = time.perf_counter()
        result = differential.run_text(text, devices, work, label, timeout=timeout, cache_dir=cache, stem="fuzzbench",
                                       runner=runner)
        return result, time.perf_counter() - t

    timed(emit.script(WARM_UP, runs), "warm-up")
    result, packed_s = timed(emit.pack(models, runs), "packed")
    singles = [timed(emit.script(m, runs), f"single{k}") for k, m in spread(models, sample)]
    single_s = sum(s for _, s in singles)
    packed_rate = len(models) / packed_s * 60
    single_rate = len(singles) / single_s * 60 if single_s else 0.0
    figures = dict(models=len(models), devices=devices, packed_seconds=round(packed_s, 1),
                   packed_per_minute=round(packed_rate, 2), single_models=len(singles),
                   single_seconds=round(single_s, 1), single_per_minute=round(single_rate, 2),
                   ratio=round(packed_rate / single_rate, 2) if single_rate else None, packed_verdict=result.verdict,
                   single_verdicts=[r.verdict for r, _ in singles])
    say(f"packed: {len(models)} models in one script on {', '.join(devices)}: {packed_s:.0f} s -> "
        f"{packed_rate:.1f} models/minute ({result.verdict})")
    say(f"one script per model: {len(singles)} of the same models: {single_s:.0f} s -> {single_rate:.1f} "
        f"models/minute ({', '.join(figures['single_verdicts'])})")
    say(f"packed / one script per model: {figures['ratio']}x")
    return figures
