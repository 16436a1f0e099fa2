"""The statistical mode's line of `brian2-harness bench`: seeds per standalone build, seconds per verdict.

One verdict = `check --mode stat` of a stochastic script (default: models/scripts/normalization_poisson.py) with
K seeds on numpy (reference) and a standalone device, from an empty build cache (cold) and again (warm).
Seeds per build = K / number of compilations of the standalone project (the binary reseeds its generators from
an environment variable, so one build serves every seed; a script that calls seed() itself recompiles main.cpp).
"""
from __future__ import annotations

import tempfile
import time
from pathlib import Path

from .verdict import check


def default_script() -> Path:
    """models/scripts/normalization_poisson.py (package data of brian2_harness.models, also in a wheel)."""
    from importlib.resources import files
    return Path(str(files("brian2_harness.models") / "scripts" / "normalization_poisson.py"))


def _compiles(run) -> int:
    return sum(int(r.meta.get("timers", {}).get("compiled", 0)) for r in run.runs)


def stat_mode(script: str | None = None, device: str = "cpp_standalone", seeds: int = 8, log=print) -> dict:
    script = str(script or default_script())
    out = {"script": script, "device": device, "seeds": seeds}
    with tempfile.TemporaryDirectory(prefix="b2h-statbench-") as tmp:
        for label in ("cold", "warm"):
            t0 = time.perf_counter()
            r = check(script, ["numpy", device], mode="stat", seeds=seeds, cache_dir=Path(tmp), jobs=2)
            seconds = time.perf_counter() - t0
            run = r.runs.get(device)
            compiles = _compiles(run) if run else 0
            out[label] = {"seconds_per_verdict": seconds, "verdict": r.verdict, "compiles": compiles,
                          "seeds_per_build": seeds / max(compiles, 1),
                          "device_seconds_per_seed": (run.seconds / max(len(run.runs), 1)) if run else None,
                          "numpy_seconds_per_seed": r.runs["numpy"].seconds / max(len(r.runs["numpy"].runs), 1)}
            log(f"  statistical mode, {label}: {seconds:.1f} s per verdict ({r.verdict}), {compiles} compile(s) "
                f"for {seeds} seeds on {device}")
    return out


def stat_line(r: dict) -> str:
    c, w = r["cold"], r["warm"]
    return (f"statistical mode ({Path(r['script']).name}, {r['seeds']} seeds on numpy and {r['device']}): "
            f"{c['seeds_per_build']:.0f} seeds per build (cold: {c['compiles']} compile(s)); "
            f"{c['seconds_per_verdict']:.1f} s per verdict cold, {w['seconds_per_verdict']:.1f} s warm "
            f"({w['device_seconds_per_seed']:.2f} s per seed on {r['device']}, "
            f"{w['numpy_seconds_per_seed']:.2f} s on numpy); verdict {w['verdict']}")
