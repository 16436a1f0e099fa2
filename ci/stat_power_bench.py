"""Mutation benchmark of `check`'s statistical mode: is the stated power honest?

For each stochastic model, one parameter is changed by +1 %, +5 % and +20 % on the "device" side only; the
statistical comparison (the one `check` runs for a device pair on different random streams: K seeds per side,
Holm over every statistic) must find the change as often as it says it would, and must not flag unchanged models
more often than alpha.

    python ci/stat_power_bench.py --out ci-power [--examples DIR] [--seeds 8] [--pool 24] [--per-variant 12]

Per model: `--pool` runs of the unchanged script (seeds 0..) and `--per-variant` runs of each changed copy (seeds
1000..) on numpy, each with its own seed (independent streams, as a device on another stream draws). Verdicts are
formed from these runs: a null verdict compares two disjoint groups of K unchanged runs (`--null-trials` random
splits); a mutation verdict compares K unchanged runs with K changed ones (`--trials` random draws per variant).
Trials share runs, so they are not independent: the rates are unbiased, their spread is larger than binomial.
For every mutation verdict the stated smallest detectable change of each key statistic (80 % power) is set against
the true change of that statistic (pooled means of all runs): "honest" means that verdicts whose true change is at
least twice the stated one detect it in >= 80 % of the trials.

`--examples DIR`: the examples/ folder of the brian2 sdist (e.g. from `ci/examples_table.py --fetch`); without it
only the harness's own models run. Writes OUT/runs-*.json (statistics per run, so `--resume` skips finished
runs) and OUT/table.md.
"""
from __future__ import annotations

import argparse
import json
import random
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from brian2_harness.check import stats
from brian2_harness.check.script import run_device

# name, script (relative to the repo or to --examples), the parameter line, its value, and how to write a new one
MODELS = [
    ("lif_poisson_stdp (own)", "models/scripts/lif_poisson_stdp.py", "taum = 10 * ms", 10.0,
     lambda v: f"taum = {v!r} * ms"),
    ("lif_poisson_stdp, input rate (own)", "models/scripts/lif_poisson_stdp.py", "rate = 40 * Hz", 40.0,
     lambda v: f"rate = {v!r} * Hz"),
    ("normalization_poisson (own)", "models/scripts/normalization_poisson.py", "rate = 20 * Hz", 20.0,
     lambda v: f"rate = {v!r} * Hz"),
    ("synapses/STDP.py (brian2 example)", "examples:synapses/STDP.py", "taupre = 20*ms", 20.0,
     lambda v: f"taupre = {v!r}*ms"),
    ("CUBA.py (brian2 example)", "examples:CUBA.py", "taum = 20*ms", 20.0, lambda v: f"taum = {v!r}*ms"),
]
FACTORS = (1.01, 1.05, 1.20)


def script_path(spec: str, examples: Path | None) -> Path | None:
    if spec.startswith("examples:"):
        return examples / spec.split(":", 1)[1] if examples else None
    return ROOT / spec


def variant(src: Path, line: str, new: str, folder: Path) -> Path:
    text = src.read_text()
    assert text.count(line) == 1, f"{src}: {line!r} must occur once"
    folder.mkdir(parents=True, exist_ok=True)
    out = folder / src.name
    out.write_text(text.replace(line, new))
    return out


def runs(script: Path, seeds: list[int], cap: float, cache: Path) -> list[dict]:
    """Statistics per seed (cached in `cache`, a JSON file)."""
    have = json.loads(cache.read_text()) if cache.exists() else {}
    todo = [s for s in seeds if str(s) not in have]
    for start in range(0, len(todo), 6):         # saved every 6 runs: an interrupted benchmark resumes
        r = run_device(str(script), "numpy", todo[start:start + 6], stat=True, cap=cap, timeout=900)
        for run in r.runs:
            if run.status == "ok":
                have[str(run.seed)] = {k: [kind, np.asarray(v).tolist(), unit]
                                       for k, (kind, v, unit) in run.statistics.items()}
        cache.write_text(json.dumps(have))
        print(f"  {script.name}: {len(have)} runs", flush=True)
    return [{k: (kind, np.asarray(v) if kind != stats.SCALAR else v, unit) for k, (kind, v, unit) in
             have[str(s)].items()} for s in seeds if str(s) in have]


def pooled_change(base: list[dict], changed: list[dict], name: str) -> float | None:
    a = [r[name][1] for r in base if name in r]
    b = [r[name][1] for r in changed if name in r]
    if not a or not b or not np.mean(a):
        return None
    return float((np.mean(b) - np.mean(a)) / abs(np.mean(a)))


def verdict(ref: list[dict], dev: list[dict], alpha: float):
    return stats.compare_statistics("numpy", {"numpy": ref, "other": dev}, alpha)


def bench_model(name, script, line, value, write, args, out: Path) -> dict:
    key = "".join(c if c.isalnum() else "_" for c in name)[:40]
    base_key = "".join(c if c.isalnum() else "_" for c in script.stem)     # one pool of unchanged runs per script
    rng = random.Random(1)
    t0 = time.perf_counter()
    base = runs(script, list(range(args.pool)), args.cap, out / f"runs-{base_key}-base.json")
    K, row = args.seeds, {"model": name, "parameter": line, "runs": len(base)}
    nulls = 0
    for _ in range(args.null_trials):
        picked = rng.sample(range(len(base)), 2 * K)
        res = verdict([base[i] for i in picked[:K]], [base[i] for i in picked[K:]], args.alpha)
        nulls += not res.equivalent
    row["false_alarms"] = (nulls, args.null_trials)
    row["variants"] = []
    for f in args.factors:
        changed_script = variant(script, line, write(value * f), out / f"{key}-x{f:g}")
        changed = runs(changed_script, list(range(1000, 1000 + args.per_variant)), args.cap,
                       out / f"runs-{key}-x{f:g}.json")
        row["runs"] += len(changed)
        hits, honest_hits, honest_n, stated = 0, 0, 0, []
        for _ in range(args.trials):
            ref = [base[i] for i in rng.sample(range(len(base)), K)]
            dev = [changed[i] for i in rng.sample(range(len(changed)), K)]
            res = verdict(ref, dev, args.alpha)
            hits += not res.equivalent
            # the key statistic with the largest true change relative to its stated detectable change
            best = None
            for t in res.tests:
                rel = stats.relative(t)
                true = pooled_change(base, changed, t.statistic)
                if rel and true is not None and stats.is_key(t.statistic):
                    ratio = abs(true) / rel
                    if best is None or ratio > best[0]:
                        best = (ratio, rel, true, t.statistic)
            if best:
                stated.append(best)
                if best[0] >= 2:
                    honest_n += 1
                    honest_hits += not res.equivalent
        top = max(stated, key=lambda x: x[0]) if stated else None
        row["variants"].append(dict(factor=f, detected=(hits, args.trials), honest=(honest_hits, honest_n),
                                    statistic=top[3] if top else "", true_change=top[2] if top else None,
                                    stated_mde=float(np.median([s[1] for s in stated if s[3] == top[3]]))
                                    if top else None))
    row["seconds"] = time.perf_counter() - t0
    return row


def table(rows: list[dict], args) -> str:
    lines = [f"K = {args.seeds} seeds per side, alpha = {args.alpha} (Holm), run() capped at {args.cap * 1e3:g} ms; "
             f"{args.null_trials} null verdicts and {args.trials} verdicts per change and model.", "",
             "| model (changed parameter) | change | detected | key statistic most changed | true change | "
             "stated smallest detectable (median) | detected where true >= 2 x stated | false alarms (unchanged) |",
             "|---|---|---|---|---|---|---|---|"]
    for r in rows:
        fa = r["false_alarms"]
        for k, v in enumerate(r["variants"]):
            d, h = v["detected"], v["honest"]
            lines.append(
                f"| {r['model'] + ' (' + r['parameter'] + ')' if k == 0 else ''} | +{100 * (v['factor'] - 1):.0f} % | "
                f"{d[0]}/{d[1]} | {v['statistic']} | "
                + (f"{100 * v['true_change']:+.2g} %" if v['true_change'] is not None else "-") + " | "
                + (f"{100 * v['stated_mde']:.2g} %" if v['stated_mde'] is not None else "-") + " | "
                + (f"{h[0]}/{h[1]}" if h[1] else "none at 2x") + " | "
                + (f"{fa[0]}/{fa[1]}" if k == 0 else "") + " |")
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", default="ci-power")
    p.add_argument("--examples", help="the examples/ folder of the brian2 sdist")
    p.add_argument("--seeds", type=int, default=8)
    p.add_argument("--pool", type=int, default=24)
    p.add_argument("--per-variant", type=int, default=12)
    p.add_argument("--null-trials", type=int, default=60)
    p.add_argument("--trials", type=int, default=20)
    p.add_argument("--alpha", type=float, default=0.01)
    p.add_argument("--cap", type=float, default=0.1, help="seconds of simulated time per run() (default 0.1)")
    p.add_argument("--models", default="", help="comma-separated substrings of model names to run")
    p.add_argument("--factors", default=",".join(f"{f:g}" for f in FACTORS),
                   help="parameter factors of the changed copies (default 1.01,1.05,1.2)")
    args = p.parse_args(argv)
    args.factors = [float(x) for x in args.factors.split(",") if x.strip()]
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    examples = Path(args.examples) if args.examples else None
    rows = []
    for name, spec, line, value, write in MODELS:
        if args.models and not any(s in name for s in args.models.split(",")):
            continue
        script = script_path(spec, examples)
        if script is None or not script.exists():
            print(f"skip {name}: {spec} not found (--examples)", flush=True)
            continue
        row = bench_model(name, script, line, value, write, args, out)
        rows.append(row)
        (out / "rows.json").write_text(json.dumps(rows, indent=1))
        (out / "table.md").write_text(table(rows, args))
        print(json.dumps(row), flush=True)
    print(table(rows, args))
    return 0


if __name__ == "__main__":
    sys.exit(main())
