"""`fuzz --bench N`: models per minute packed (N models in one script: one build per device) against one script
per model (a sample of them, the same models), measured in one run on the same devices."""
from __future__ import annotations

import os
import random
import time

from . import differential, emit, generate
from .strategies import schedule


def run(n: int, devices: list[str], shares: dict, seed: int, out: str, *, sample: int = 3, timeout: float = 600.0,
        cache_dir=None, say=print) -> dict:
    work = os.path.join(out, "bench")
    os.makedirs(work, exist_ok=True)
    cache = cache_dir or os.path.join(out, "cache")
    models = [m for _, m in generate.draw(seed, n, shares)]
    runs = schedule(random.Random(seed), shares["several_runs"])
    t = time.perf_counter()
    result = differential.run_check(_write(work, "packed", emit.pack(models, runs)), devices, timeout=timeout,
                                    cache_dir=cache)
    packed_s = time.perf_counter() - t
    t = time.perf_counter()
    singles = [differential.run_check(_write(work, f"single{k}", emit.script(m, runs)), devices, timeout=timeout,
                                      cache_dir=cache) for k, m in enumerate(models[:sample])]
    single_s = time.perf_counter() - t
    packed_rate = len(models) / packed_s * 60
    single_rate = len(singles) / single_s * 60
    figures = dict(models=len(models), devices=devices, packed_seconds=round(packed_s, 1),
                   packed_per_minute=round(packed_rate, 2), single_models=len(singles),
                   single_seconds=round(single_s, 1), single_per_minute=round(single_rate, 2),
                   ratio=round(packed_rate / single_rate, 2) if single_rate else None, packed_verdict=result.verdict,
                   single_verdicts=[r.verdict for r in singles])
    say(f"packed: {len(models)} models in one script on {', '.join(devices)}: {packed_s:.0f} s -> "
        f"{packed_rate:.1f} models/minute ({result.verdict})")
    say(f"one script per model: {len(singles)} models: {single_s:.0f} s -> {single_rate:.1f} models/minute")
    say(f"packed / unpacked: {figures['ratio']}x")
    return figures


def _write(work: str, name: str, text: str) -> str:
    path = os.path.join(work, f"{name}.py")
    with open(path, "w") as f:
        f.write(text)
    return path
