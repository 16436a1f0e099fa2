"""False-alarm rate (and power) of `check --max-seeds N`'s group-sequential rule, resampled from benchmark runs.

The per-run statistics that `ci/stat_power_bench.py` keeps (OUT/stats/) of the statistically judged model are
pooled (`stat_power_bench.pools`): every numpy run (numpy is unchanged in every check) and the cpp_standalone runs of
the unchanged checks are the null; the cpp_standalone runs of the checks with `--factor F` give the power instead.
Each resample draws an order of each device's pool without replacement and runs the decision of
`harness/check/sequential.py` itself: `sequential.run` (what `check --max-seeds` runs) with grow(k) = the first k
runs of each order and compare = `stats.compare_statistics` at the look's level (what `judge_stat` passes it).

Dependence, stated with the numbers: resamples of one finite pool share runs, so they are not independent trials.
Their share of false alarms estimates the rule's rate on this pool without bias, but a binomial (Clopper-Pearson)
interval over the resamples is narrower than the truth (it ignores that the pool itself is one draw). The disjoint
count splits each pool into seed sets that share no run (N runs per device each) and runs the rule once per set:
those verdicts are independent, and their interval is honest but wide.

    nice -n 10 python ci/sequential_null.py --out ci-power [--out ci-power-seq] --max-seeds 8 --resamples 1000

Writes OUT/sequential-null-N[-xF].json (the first --out) and prints the lines docs/statistical-power.md quotes.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "ci")]

import power_tally as tally  # noqa: E402

from brian2_harness.check import sequential, stats  # noqa: E402


def verdict(ref: list, dev: list, max_seeds: int, alpha: float, min_effect: float | None) -> dict:
    """`sequential.run` on one seed set per device (lists of per-run statistics, at least max_seeds each): flagged,
    the seeds per device it stopped at, and why."""
    def grow(k: int) -> dict:
        return {tally.REF: ref[:k], tally.DEV: dev[:k]}

    def compare(sample: dict, level: float, effect: float | None):
        return stats.compare_statistics(tally.REF, sample, level, effect)
    out = sequential.run(grow, compare, max_seeds, alpha, min_effect)
    flagged = any(t.rejected for t in out.result.tests) or bool(out.result.too_weak)
    difference = any(t.rejected for t in out.result.tests)
    return dict(flagged=flagged, difference=difference, seeds=out.seeds, why=out.why,
                statistic=min((t for t in out.result.tests if t.rejected), key=lambda t: t.p).statistic
                if difference else "")


def resampled(ref_pool: list, dev_pool: list, max_seeds: int, alpha: float, min_effect: float | None, count: int,
              seed: int = 11) -> list[dict]:
    """`count` verdicts, each on max_seeds runs per device drawn without replacement from the pools (the same pool
    on both sides, `dev_pool is ref_pool`: 2 max_seeds distinct runs split in two), with the runs' pool indices."""
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(count):
        if dev_pool is ref_pool:
            both = rng.choice(len(ref_pool), 2 * max_seeds, replace=False)
            ia, ib = both[:max_seeds], both[max_seeds:]
        else:
            ia = rng.choice(len(ref_pool), max_seeds, replace=False)
            ib = rng.choice(len(dev_pool), max_seeds, replace=False)
        v = verdict([ref_pool[i] for i in ia], [dev_pool[i] for i in ib], max_seeds, alpha, min_effect)
        out.append(dict(v, ref_runs=ia.tolist(), dev_runs=ib.tolist()))
    return out


def disjoint(ref_pool: list, dev_pool: list, max_seeds: int, alpha: float, min_effect: float | None,
             seed: int = 13) -> list[dict]:
    """One verdict per disjoint seed set: each pool shuffled once and cut into sets of max_seeds runs (no run is in
    two sets), as many verdicts as the smaller pool has sets."""
    rng = np.random.default_rng(seed)
    ra, rb = rng.permutation(len(ref_pool)), rng.permutation(len(dev_pool))
    sets = min(len(ref_pool), len(dev_pool)) // max_seeds
    return [verdict([ref_pool[i] for i in ra[j * max_seeds:(j + 1) * max_seeds]],
                    [dev_pool[i] for i in rb[j * max_seeds:(j + 1) * max_seeds]], max_seeds, alpha, min_effect)
            for j in range(sets)]


def summary(verdicts: list[dict]) -> dict:
    """flagged / verdicts with the Clopper-Pearson 95 % interval, and how often each look stopped the rule."""
    n, k = len(verdicts), sum(v["flagged"] for v in verdicts)
    lo, hi = tally.clopper_pearson(k, n)
    stops: dict = {}
    for v in verdicts:
        stops[v["seeds"]] = stops.get(v["seeds"], 0) + 1
    return dict(flagged=k, n=n, rate=k / n if n else None, ci95=[lo, hi],
                differences=sum(v["difference"] for v in verdicts),
                stopped_at={str(s): c for s, c in sorted(stops.items())},
                median_seeds=float(np.median([v["seeds"] for v in verdicts])) if verdicts else None,
                flagged_statistics=sorted({v["statistic"] for v in verdicts if v["statistic"]}))


def line(name: str, s: dict) -> str:
    if not s["n"]:
        return f"{name}: no verdict (the pools are smaller than --max-seeds)"
    return (f"{name}: flagged {s['flagged']}/{s['n']} ({100 * s['rate']:.2g} %, Clopper-Pearson 95 % "
            f"{100 * s['ci95'][0]:.2g}-{100 * s['ci95'][1]:.2g} %); stopped at "
            + ", ".join(f"{k} seeds {c}x" for k, c in s["stopped_at"].items())
            + (f"; of these {s['flagged'] - s['differences']} 'too weak' (--min-effect), not a difference"
               if s["flagged"] != s["differences"] else "")
            + (f"; flagged statistics: {', '.join(s['flagged_statistics'])}" if s["flagged_statistics"] else ""))


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", action="append", required=True, help="benchmark folder(s) of stat_power_bench.py")
    p.add_argument("--model", default="lif_poisson_stdp, connect(p=0.2)")
    p.add_argument("--max-seeds", type=int, default=8)
    p.add_argument("--alpha", type=float, default=0.01)
    p.add_argument("--min-effect", type=float, default=None)
    p.add_argument("--resamples", type=int, default=1000)
    p.add_argument("--factor", type=float, default=1.0, help="cpp_standalone runs of this factor (power; 1: null)")
    p.add_argument("--numpy-both", action="store_true",
                   help="numpy runs on both sides (a null without any device difference, as a diagnostic)")
    args = p.parse_args(argv)
    import stat_power_bench as bench  # Brian's check (imported here: the functions above are Brian-free)
    records = []
    for out in args.out:
        log = Path(out) / "checks.jsonl"
        records += [dict(json.loads(x), out=out) for x in log.read_text().splitlines() if x.strip()]
    pool = bench.pools(records, args.out, args.model)
    ref, dev = pool.get(1.0, {}).get(tally.REF, []), pool.get(args.factor, {}).get(tally.DEV, [])
    if args.numpy_both:
        dev = ref       # resampled: 2 N distinct runs split in two; disjoint: the pool's two halves
    t0 = time.perf_counter()
    res = resampled(ref, dev, args.max_seeds, args.alpha, args.min_effect, args.resamples)
    dis = disjoint(ref[:len(ref) // 2], ref[len(ref) // 2:], args.max_seeds, args.alpha, args.min_effect) \
        if dev is ref else disjoint(ref, dev, args.max_seeds, args.alpha, args.min_effect)
    what = "null" if args.factor == 1.0 else f"cpp_standalone x{args.factor:g}"
    what += ", numpy runs on both sides" if args.numpy_both else ""
    result = dict(model=args.model, max_seeds=args.max_seeds, looks=sequential.schedule(args.max_seeds),
                  alpha_spent=sequential.spending(sequential.schedule(args.max_seeds), args.alpha),
                  alpha=args.alpha, min_effect=args.min_effect, factor=args.factor, pool={
                      tally.REF: len(ref), tally.DEV: len(dev)}, resampled=summary(res), disjoint=summary(dis),
                  seconds=time.perf_counter() - t0, outs=args.out)
    name = f"sequential-null-{args.max_seeds}" + ("" if args.factor == 1.0 else f"-x{args.factor:g}") + (
        "-numpy" if args.numpy_both else "")
    (Path(args.out[0]) / f"{name}.json").write_text(json.dumps(dict(result, verdicts=res, disjoint_verdicts=dis),
                                                               indent=1))
    print(f"{args.model}, {what}, check --max-seeds {args.max_seeds} (looks {result['looks']}, alpha "
          f"{args.alpha} spent as {', '.join(f'{a:.2g}' for a in result['alpha_spent'])}), --min-effect "
          f"{args.min_effect}; pool: {len(ref)} numpy runs, {len(dev)} cpp_standalone runs; "
          f"{result['seconds']:.0f} s")
    print("* " + line(f"{args.resamples} resampled verdicts (dependent: they share runs)", result["resampled"]))
    print("* " + line(f"{len(dis)} verdicts on disjoint seed sets (independent)", result["disjoint"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
