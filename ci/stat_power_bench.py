"""Mutation benchmark of `check`: are bugs on one device found, is the stated power honest, are false alarms rare?

Each trial is one `check` as a user runs it: the default `--mode auto`, devices numpy,cpp_standalone, K seeds, and
`--script-for cpp_standalone=CHANGED.py` where one parameter is changed by a factor on cpp_standalone only (no
`--script-for` for the unchanged trials). What counts is what `check` concludes: its exit status (1 = flagged).

    nice -n 10 python ci/stat_power_bench.py --out ci-power [--trials 6] [--null-trials 24] [--models ...]

Models (per model the benchmark states how `check` judged the pair):
* `lif_poisson_stdp`: models/scripts/lif_poisson_stdp.py (wiring drawn outside generated code): numpy and
  cpp_standalone draw the same random numbers, so the pair is judged exactly; taum changed.
* `lif_poisson_stdp, connect(p=0.2)`: the same network wired with `connect(p=0.2)` in generated code, which numpy
  and C++ draw differently: judged statistically; the input rate changed.
* `CUBA.py` (with `--examples DIR`, the brian2 sdist's examples/): connect(p=0.02): judged statistically; taum.

Trials are independent: each uses its own `--seed 10 k` (`trial_seed`), so its reference seeds 10k .. 10k+K-1 and
its device seeds 1000+10k .. never recur. Every changed script has its own file
name, hence its own build folder: it compiles once, and the seeds reuse the binary (the standalone binary reseeds
from the environment). Results go to OUT/checks.jsonl (one line per check; a rerun resumes after the last one),
per-run statistics of statistically judged checks to OUT/stats/, the table to OUT/table.md.
Further null verdicts: the numpy runs of two different changed-model checks of a model are unchanged runs on
disjoint seeds, so comparing them (the statistics `check` uses) is one more independent null verdict (`--pair-nulls`).
"""
from __future__ import annotations

import argparse
import gzip
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "ci")]

import power_tally as tally  # noqa: E402

from brian2_harness.check import stats  # noqa: E402
from brian2_harness.check.servers import FRESH_VAR  # noqa: E402
from brian2_harness.check.verdict import AGREE, AGREE_STAT, check  # noqa: E402
from brian2_harness.check.warm import WARM_VAR  # noqa: E402

REWIRE = ("pre, post = np.nonzero(np.random.RandomState(2024).rand(N_in, N_out) < 0.2)   "
          "# fixed wiring, 20 % of the pairs\nsyn.connect(i=pre, j=post)", "syn.connect(p=0.2)")
# name, script (repo path or examples:PATH), (old, new) rewrite of the unchanged script or None,
# the parameter's line, its value, how to write a new value, factors
MODELS = [
    ("lif_poisson_stdp", "models/scripts/lif_poisson_stdp.py", None, "taum = 10 * ms", 10.0,
     lambda v: f"taum = {v!r} * ms", (1.01, 1.05, 1.2)),
    ("lif_poisson_stdp, connect(p=0.2)", "models/scripts/lif_poisson_stdp.py", REWIRE, "rate = 40 * Hz", 40.0,
     lambda v: f"rate = {v!r} * Hz", (1.01, 1.05, 1.2, 1.5)),
    ("CUBA.py (brian2 example)", "examples:CUBA.py", None, "taum = 20*ms", 20.0, lambda v: f"taum = {v!r}*ms",
     (1.01, 1.05, 1.2, 1.5)),
]
STRIDE = 10              # seeds per trial: --seed 10 k (K <= 10)


def trial_seed(factors, factor: float, trial: int, stride: int = STRIDE, base: int = 0) -> int:
    """`--seed` of a trial's check number k = trial * (factors + 1) + (0 unchanged, j for the j-th factor), fixed
    whatever the trial counts, so that a resumed or extended benchmark never reuses a seed. A check's reference
    seeds are seed .. seed + stride - 1 and its device's seed + 1000 ..: checks are packed 1000 // stride to a block
    of 2000 seeds (the reference's in the first 1000, the device's in the second), so no seed recurs on a device
    nor is shared by the two. stride 10, base 0 and k < 100: 10 k, the seeds of the 2026-12-02 benchmark."""
    j = 0 if factor == 1.0 else 1 + list(factors).index(factor)
    k = trial * (len(factors) + 1) + j
    per = 1000 // stride
    return base + 2000 * (k // per) + stride * (k % per)


def slug(text: str) -> str:
    return "".join(c if c.isalnum() else "_" for c in text).strip("_")[:40]


def write_script(text: str, folder: Path, name: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.py"
    if not path.exists() or path.read_text() != text:
        path.write_text(text)
    return path


def scripts_of(model, examples: Path | None, out: Path) -> tuple[Path, dict] | None:
    """(unchanged script, factor -> changed script), or None when the script is not here."""
    name, spec, rewrite, line, value, fmt, factors = model
    src = (examples / spec.split(":", 1)[1] if examples else None) if spec.startswith("examples:") else ROOT / spec
    if src is None or not src.exists():
        return None
    text = src.read_text()
    if rewrite:
        assert text.count(rewrite[0]) == 1, f"{src}: the wiring to rewrite must occur once"
        text = text.replace(rewrite[0], rewrite[1])
    assert text.count(line) == 1, f"{src}: {line!r} must occur once"
    folder = out / "scripts" / slug(name)
    base = write_script(text, folder, f"{src.stem}_{slug(name)}_base")
    changed = {f: write_script(text.replace(line, fmt(value * f)), folder, f"{src.stem}_{slug(name)}_x{f:g}")
               for f in factors}
    return base, changed


def scalar_means(runs) -> dict:
    return {name: [float(r.statistics[name][1]) for r in runs if name in r.statistics]
            for name, (kind, _, _) in (runs[0].statistics.items() if runs else []) if kind == stats.SCALAR}


def record_of(model: str, factor: float, trial: int, seed: int, res, seconds: float) -> dict:
    """One check's line of OUT/checks.jsonl; with --max-seeds also the seeds per device it stopped at and why."""
    pair = res.pairs.get(tally.DEV)
    st = res.stat
    looks = [n for n in res.notes if n.startswith("group-sequential")]
    rec = dict(model=model, factor=factor, trial=trial, seed=seed, verdict=res.verdict,
               exit=0 if res.verdict in (AGREE, AGREE_STAT) else 1, reason=res.reason[:400],
               mode=pair.mode if pair else res.mode, why=(pair.why if pair else "")[:200], seconds=seconds,
               min_p_adjusted=min((t.p_adjusted for t in st.tests), default=1.0) if st else None,
               power=[dict(statistic=r["statistic"], relative=r["relative"], key=r["key"])
                      for r in st.power_table()] if st else [],
               means={d: scalar_means(run.runs) for d, run in res.runs.items()})
    if looks:
        rec.update(seeds_used=dict(st.seeds) if st else {}, sequential=looks[0][:400])
    return rec


def save_statistics(path: Path, res) -> None:
    """Every statistic of every run of a statistically judged check (for the paired and resampled null verdicts),
    with the runs' seeds."""
    data = {"runs": {d: [{k: [kind, np.asarray(v).tolist(), unit] for k, (kind, v, unit) in r.statistics.items()}
                         for r in run.runs] for d, run in res.runs.items()},
            "seeds": {d: [r.seed for r in run.runs] for d, run in res.runs.items()}}
    path.parent.mkdir(parents=True, exist_ok=True)
    with gzip.open(path, "wt") as f:
        json.dump(data, f)


def load_statistics(path: Path, seeds: bool = False):
    """device -> per-run statistics; with `seeds`, also device -> the runs' seeds (None in files written before
    2026-12-06, which hold the runs only)."""
    with gzip.open(path, "rt") as f:
        data = json.load(f)
    runs = data["runs"] if "seeds" in data else data
    out = {d: [{k: (kind, np.asarray(v) if kind != stats.SCALAR else v, unit) for k, (kind, v, unit) in r.items()}
               for r in lst] for d, lst in runs.items()}
    return (out, data.get("seeds") if "seeds" in data else None) if seeds else out


def stats_path(out: Path, record: dict) -> Path:
    return out / "stats" / f"{slug(record['model'])}-x{record['factor']:g}-{record['trial']}.json.gz"


def statistical_runs(path: Path) -> dict:
    """device -> the per-run statistics of a check's statistical samples: cpp_standalone's first run in --mode auto
    is its exact-mode run at the reference's first seed (it shares that seed's random numbers), so it is left out."""
    data, seeds = load_statistics(path, seeds=True)
    ref, dev = data[tally.REF], data[tally.DEV]
    if seeds is not None:
        dev = [r for r, s in zip(dev, seeds[tally.DEV]) if s not in set(seeds[tally.REF])]
    elif len(dev) == len(ref) + 1:
        dev = dev[1:]
    return {tally.REF: ref, tally.DEV: dev}


def pools(records: list[dict], outs, model: str) -> dict:
    """factor -> device -> per-run statistics of a statistically judged model over the checks of `records` (each
    with its "out" folder, else `outs`' first): factor 1.0 holds every unchanged run (numpy in every check,
    cpp_standalone in the unchanged checks), a changed factor its checks' cpp_standalone runs."""
    found: dict = {}
    for r in records:
        path = stats_path(Path(r.get("out") or outs[0]), r)
        if r["model"] != model or r["mode"] != "stat" or not path.exists():
            continue
        data = statistical_runs(path)
        found.setdefault(1.0, {}).setdefault(tally.REF, []).extend(data[tally.REF])
        found.setdefault(r["factor"], {}).setdefault(tally.DEV, []).extend(data[tally.DEV])
    return found


def pair_nulls(records: list[dict], out: Path, alpha: float) -> list[bool]:
    """Independent null verdicts: numpy runs of two different changed-model checks (disjoint seeds, each check
    used once) compared with the statistics `check` uses. True = flagged."""
    flagged = []
    for model in dict.fromkeys(r["model"] for r in records):
        files = [stats_path(out, r) for r in records
                 if r["model"] == model and r["factor"] != 1.0 and r["mode"] == "stat"]
        files = [f for f in files if f.exists()]
        for a, b in zip(files[0::2], files[1::2]):
            ra, rb = load_statistics(a)[tally.REF], load_statistics(b)[tally.REF]
            flagged.append(not stats.compare_statistics("a", {"a": ra, "b": rb}, alpha).equivalent)
    return flagged


def resampled_nulls(records: list[dict], out: Path, alpha: float, count: int, seeds: int) -> list[float]:
    """Smallest Holm-adjusted p of `count` null verdicts resampled from every unchanged run of a statistically
    judged model (numpy: all checks; cpp_standalone: the unchanged checks): K runs per side drawn without
    replacement. They share runs, so they are not independent: the rate is unbiased, its interval is not binomial."""
    rng = np.random.default_rng(7)
    p_values = []
    for model in dict.fromkeys(r["model"] for r in records if r["mode"] == "stat"):
        pool = pools(records, [out], model).get(1.0, {})
        ref, dev = pool.get(tally.REF, []), pool.get(tally.DEV, [])
        if len(ref) < seeds or len(dev) < seeds:
            continue
        for _ in range(count):
            a = [ref[i] for i in rng.choice(len(ref), seeds, replace=False)]
            b = [dev[i] for i in rng.choice(len(dev), seeds, replace=False)]
            res = stats.compare_statistics(tally.REF, {tally.REF: a, tally.DEV: b}, alpha)
            p_values.append(min((t.p_adjusted for t in res.tests), default=1.0))
    return p_values


def bench(args, out: Path) -> list[dict]:
    log = out / "checks.jsonl"
    records = [json.loads(x) for x in log.read_text().splitlines() if x.strip()] if log.exists() else []
    done = {(r["model"], r["factor"], r["trial"]) for r in records}
    examples = Path(args.examples) if args.examples else None
    for model in MODELS:
        if args.models and not any(s in model[0] for s in args.models.split(",")):
            continue
        found = scripts_of(model, examples, out)
        if found is None:
            print(f"skip {model[0]}: {model[1]} not found (--examples)", flush=True)
            continue
        base, changed = found
        if args.factors:
            changed = {f: s for f, s in changed.items() if any(abs(f - x) < 1e-9 for x in args.factors)}
        factors = [1.0] + list(changed)         # round by round: a benchmark stopped early stays balanced
        plan = [(f, t) for t in range(max(args.null_trials, args.trials)) for f in factors
                if t < (args.null_trials if f == 1.0 else args.trials)]
        for factor, trial in plan:
            if (model[0], factor, trial) in done:
                continue
            rec = one_trial(args, out, model, base, changed.get(factor), factor, trial)
            records.append(rec)
            with log.open("a") as f:
                f.write(json.dumps(rec) + "\n")
            fixed = f"; fixed {args.seeds} seeds: exit {rec['fixed_exit']}, {rec['fixed_seconds']:.0f} s" \
                if "fixed_exit" in rec else ""
            print(f"{time.strftime('%H:%M:%S')} {model[0]} x{factor:g} trial {trial} seed {rec['seed']}: "
                  f"{rec['verdict']} (exit {rec['exit']}, {rec['mode']}, {rec['seconds']:.0f} s, seeds per device "
                  f"{rec.get('seeds_used')}{fixed})", flush=True)
    return records


def one_trial(args, out: Path, model, base: Path, changed: Path | None, factor: float, trial: int) -> dict:
    """One check (with --max-seeds: group-sequential; with --with-fixed also the fixed --seeds check of the same
    seeds, run first on even trials and second on odd ones, for its wall time and verdict)."""
    stride = max(STRIDE, args.seeds, args.max_seeds or 0)
    seed = trial_seed(model[6], factor, trial, stride, args.seed_base)
    common = dict(seed=seed, alpha=args.alpha, cap=args.cap, timeout=900,
                  script_for={tally.DEV: str(changed)} if factor != 1.0 else None)

    def timed(path: dict | None = None, **extra):
        saved = {name: os.environ.get(name) for name in (path or {})}
        os.environ.update(path or {})
        try:
            t0 = time.perf_counter()
            res = check(str(base), ("numpy", tally.DEV), **common, **extra)
            return res, time.perf_counter() - t0
        finally:
            for name, value in saved.items():
                os.environ.pop(name, None) if value is None else os.environ.__setitem__(name, value)
    # the fixed check as before warm seeds (check/warm.py: a fresh process per seed), or on --fresh-processes's
    # path (a fresh interpreter per device call and a build per standalone seed: the check as the speed issue found it)
    path = {FRESH_VAR: "1"} if args.fixed_fresh else {WARM_VAR: "0"} if args.fixed_cold else None
    fixed = None
    if args.with_fixed and args.max_seeds and trial % 2 == 0:
        fixed = timed(path, seeds=args.seeds)
    res, seconds = timed(seeds=args.seeds, max_seeds=args.max_seeds, min_effect=args.min_effect)
    if args.with_fixed and args.max_seeds and trial % 2 == 1:
        fixed = timed(path, seeds=args.seeds)
    rec = record_of(model[0], factor, trial, seed, res, seconds)
    if args.max_seeds:
        rec.update(max_seeds=args.max_seeds, min_effect=args.min_effect)
    if fixed:
        rec.update(fixed_exit=0 if fixed[0].verdict in (AGREE, AGREE_STAT) else 1, fixed_seconds=fixed[1],
                   fixed_cold=bool(args.fixed_cold), fixed_fresh=bool(args.fixed_fresh))
    if rec["mode"] == "stat":
        save_statistics(stats_path(out, rec), res)
    return rec


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", default="ci-power")
    p.add_argument("--examples", help="the examples/ folder of the brian2 sdist (adds CUBA.py)")
    p.add_argument("--seeds", type=int, default=8, help="check --seeds (default 8)")
    p.add_argument("--trials", type=int, default=6, help="checks per changed script (default 6)")
    p.add_argument("--null-trials", type=int, default=24, help="checks of the unchanged model (default 24)")
    p.add_argument("--alpha", type=float, default=0.01)
    p.add_argument("--cap", type=float, default=0.1, help="check --duration-cap in seconds (default 0.1)")
    p.add_argument("--models", default="", help="comma-separated substrings of model names to run")
    p.add_argument("--factors", type=lambda t: [float(x) for x in t.split(",")], default=None,
                   help="only these factors of each model (default: all of MODELS)")
    p.add_argument("--resampled", type=int, default=0, help="also this many resampled (dependent) null verdicts")
    p.add_argument("--tally-only", action="store_true", help="no new checks: table from OUT/checks.jsonl")
    p.add_argument("--max-seeds", type=int, default=None,
                   help="check --max-seeds N (group-sequential; --seeds is then unused by it)")
    p.add_argument("--min-effect", type=float, default=None, help="check --min-effect (a fraction, e.g. 0.05)")
    p.add_argument("--with-fixed", action="store_true",
                   help="with --max-seeds: also a fixed --seeds check of the same seeds per trial (wall time)")
    p.add_argument("--fixed-cold", action="store_true",
                   help="with --with-fixed: the fixed check without warm seeds (BRIAN2_HARNESS_WARM_SEEDS=0), i.e. "
                        "the 8-seed check as it ran before them")
    p.add_argument("--fixed-fresh", action="store_true",
                   help="with --with-fixed: the fixed check on --fresh-processes's path (a fresh interpreter per "
                        "device call, a build per standalone seed), i.e. the 8-seed check before the process server")
    p.add_argument("--seed-base", type=int, default=0,
                   help="added to every --seed: another benchmark folder's seeds do not recur (default 0)")
    args = p.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    if args.tally_only:
        log = out / "checks.jsonl"
        records = [json.loads(x) for x in log.read_text().splitlines() if x.strip()]
    else:
        records = bench(args, out)
    rows = tally.summarize(records)
    sequential = [r for r in records if r.get("max_seeds")]
    for r in rows if sequential else []:
        r["min_p"] = []     # a sequential verdict's Holm-adjusted p is at its last look's level: no calibration
    extra = [] if sequential else pair_nulls(records, out, args.alpha)
    seeds = f"--max-seeds {args.max_seeds} (group-sequential)" if args.max_seeds else f"K = {args.seeds} seeds"
    text = (f"{seeds} per device, alpha = {args.alpha}, every run() capped at {args.cap * 1e3:g} ms; "
            f"devices numpy,cpp_standalone, --mode auto.\n\n" + tally.table(rows) + "\n"
            + "\n".join(f"* {x}" for x in tally.summary_lines(rows, extra, args.alpha))
            + f"\n* of which {sum(extra)}/{len(extra)} from paired numpy runs of changed-model checks\n"
            + "".join(f"* {x}\n" for x in tally.sequential_lines(records)))
    if args.resampled:
        p_values = resampled_nulls(records, out, args.alpha, args.resampled, args.seeds)
        text += ("* resampled null verdicts (dependent, see resampled_nulls), false alarms at alpha: " + "; ".join(
            f"{a:g}: {k}/{m}" for a, k, m in tally.calibration(p_values)) + "\n")
    (out / "table.md").write_text(text)
    (out / "rows.json").write_text(json.dumps(rows, indent=1))
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
