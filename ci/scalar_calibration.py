"""How often Student's t distribution gives Welch's t a p <= level when nothing differs, per scalar statistic.

Draws `--draws` pairs of K vs K runs without replacement from the pooled unchanged numpy runs that the mutation
benchmark saved (OUT/stats/*.json.gz of `ci/stat_power_bench.py`) and counts p <= level: a calibrated test stays
near the level; the relabeling p that `check` uses is exact by construction.

    python ci/scalar_calibration.py --out ci-power [--draws 20000] [--seeds 8]
"""
from __future__ import annotations

import argparse
import gzip
import json
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from brian2_harness.check import pvalues  # noqa: E402


def pooled_scalars(out: Path) -> dict:
    """model file prefix -> statistic -> values of every numpy run (numpy always runs the unchanged script)."""
    pools: dict = {}
    for path in sorted((out / "stats").glob("*.json.gz")):
        model = path.name.rsplit("-x", 1)[0]
        with gzip.open(path, "rt") as f:
            runs = json.load(f)["numpy"]
        for run in runs:
            for name, (kind, value, _unit) in run.items():
                if kind == "scalar" and value is not None and np.isfinite(value):
                    pools.setdefault(model, {}).setdefault(name, []).append(float(value))
    return pools


def rejection_rates(values, seeds: int, draws: int, levels, rng) -> list[float]:
    x = np.asarray(values, dtype=float)
    hits = np.zeros(len(levels))
    for _ in range(draws):
        pick = rng.permutation(len(x))[:2 * seeds]
        p = pvalues.welch(x[pick[:seeds]], x[pick[seeds:]])[1]
        hits += [p <= a for a in levels]
    return list(hits / draws)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", default="ci-power")
    p.add_argument("--draws", type=int, default=20000)
    p.add_argument("--seeds", type=int, default=8)
    args = p.parse_args(argv)
    rng = np.random.default_rng(0)
    levels = (0.01, 0.001)
    print(f"| model | statistic | runs | skewness | Student p <= {levels[0]} | Student p <= {levels[1]} |")
    print("|---|---|---|---|---|---|")
    for model, stats in pooled_scalars(Path(args.out)).items():
        for name, values in stats.items():
            x = np.asarray(values)
            if len(x) < 2 * args.seeds or np.all(x == x[0]):
                continue
            skew = float(((x - x.mean()) ** 3).mean() / x.std() ** 3)
            rates = rejection_rates(x, args.seeds, args.draws, levels, rng)
            print(f"| {model} | {name} | {len(x)} | {skew:+.2f} | {rates[0]:.4f} | {rates[1]:.4f} |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
