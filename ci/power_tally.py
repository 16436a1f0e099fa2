"""Counting and table of the mutation benchmark (`ci/stat_power_bench.py`), Brian-free so that it is unit-tested.

A *record* is one `check` of the benchmark (one JSON line):

    {"model": str, "factor": float (1.0: unchanged), "trial": int, "exit": 0 | 1, "verdict": str,
     "mode": "exact" | "exact+floor" | "stat" (how the device pair was judged), "why": str,
     "min_p_adjusted": float | None (smallest Holm-adjusted p; None in exact mode),
     "power": [{"statistic", "relative", "key"}] (stated smallest detectable change, stat mode),
     "means": {"numpy": {statistic: [per-run values]}, "cpp_standalone": {...}} (scalar statistics per run)}

The *true change* of a statistic for a factor is the difference of its pooled means: every changed run
(cpp_standalone in that factor's checks) against every unchanged run (numpy in all of the model's checks,
cpp_standalone in its unchanged checks).
"""
from __future__ import annotations

import math

import numpy as np

REF, DEV = "numpy", "cpp_standalone"
HONEST_RATIO = 2.0          # verdicts whose true change is >= 2x the stated detectable change ...
HONEST_DETECTION = 0.8      # ... must detect it this often


def clopper_pearson(k: int, n: int, level: float = 0.95) -> tuple[float, float]:
    """Exact two-sided binomial confidence interval for k successes in n trials (bisection on the CDF)."""
    if n == 0:
        return 0.0, 1.0
    tail = (1 - level) / 2

    def cdf(x: int, p: float) -> float:
        return sum(math.comb(n, j) * p ** j * (1 - p) ** (n - j) for j in range(x + 1))

    def solve(f) -> float:       # f increasing in p, root in [0, 1]
        lo, hi = 0.0, 1.0
        for _ in range(60):
            mid = (lo + hi) / 2
            lo, hi = (mid, hi) if f(mid) < 0 else (lo, mid)
        return (lo + hi) / 2
    lower = 0.0 if k == 0 else solve(lambda p: (1 - cdf(k - 1, p)) - tail)
    upper = 1.0 if k == n else solve(lambda p: tail - cdf(k, p))
    return lower, upper


def pooled(records: list[dict], model: str) -> dict:
    """factor -> statistic -> list of per-run values; factor 1.0 holds the unchanged runs."""
    out: dict = {}
    for r in records:
        if r["model"] != model:
            continue
        for device, stats in (r.get("means") or {}).items():
            factor = 1.0 if device == REF else r["factor"]
            for name, values in stats.items():
                out.setdefault(factor, {}).setdefault(name, []).extend(values)
    return out


def true_changes(pool: dict, factor: float) -> dict:
    """statistic -> relative change of the pooled mean (changed vs unchanged runs)."""
    base, changed = pool.get(1.0, {}), pool.get(factor, {})
    out = {}
    for name, values in changed.items():
        ref = base.get(name)
        if ref and values and np.mean(ref):
            out[name] = float((np.mean(values) - np.mean(ref)) / abs(np.mean(ref)))
    return out


def best_ratio(record: dict, changes: dict) -> tuple[float, str, float, float] | None:
    """(true / stated, statistic, stated, true) of the key statistic whose true change is largest relative to the
    change the verdict stated it would detect; None when the verdict stated none (exact mode)."""
    best = None
    for row in record.get("power") or []:
        rel, name = row.get("relative"), row["statistic"]
        if not row.get("key") or not rel or name not in changes:
            continue
        ratio = abs(changes[name]) / rel
        if best is None or ratio > best[0]:
            best = (ratio, name, rel, changes[name])
    return best


def summarize(records: list[dict]) -> list[dict]:
    """One row per (model, factor): detections, how the pair was judged, stated vs true change, honesty."""
    rows = []
    for model in dict.fromkeys(r["model"] for r in records):
        mine = [r for r in records if r["model"] == model]
        pool = pooled(records, model)
        for factor in sorted({r["factor"] for r in mine}):
            these = [r for r in mine if r["factor"] == factor]
            changes = true_changes(pool, factor) if factor != 1.0 else {}
            flagged = sum(r["exit"] != 0 for r in these)
            ratios = [best_ratio(r, changes) for r in these]
            at2 = [(r, b) for r, b in zip(these, ratios) if b and b[0] >= HONEST_RATIO]
            stated = [b for b in ratios if b]
            top = max(stated, key=lambda b: abs(b[3])) if stated else None
            if top is None and changes:       # exact verdicts state no power: the key statistic most changed
                keys = [n for n in changes if n.endswith((": population rate", ": mean"))] or list(changes)
                name = max(keys, key=lambda n: abs(changes[n]))
                top = (None, name, None, changes[name])
            modes = sorted({r["mode"] for r in these})
            p_values = [r["min_p_adjusted"] for r in these if r.get("min_p_adjusted") is not None]
            rows.append(dict(model=model, factor=factor, n=len(these), flagged=flagged, modes=modes,
                             why=these[0].get("why", ""), statistic=top[1] if top else "",
                             true_change=top[3] if top else None,
                             stated=float(np.median([b[2] for b in stated if b[1] == top[1]])) if stated else None,
                             at2=(sum(r["exit"] != 0 for r, _ in at2), len(at2)), min_p=p_values,
                             seconds=float(np.median([r.get("seconds", 0.0) for r in these]))))
    return rows


def honesty(rows: list[dict]) -> tuple[int, int]:
    """(detected, verdicts) over every changed verdict whose true change is >= 2x its stated one."""
    hits = sum(r["at2"][0] for r in rows if r["factor"] != 1.0)
    return hits, sum(r["at2"][1] for r in rows if r["factor"] != 1.0)


def false_alarms(rows: list[dict], extra: list[bool] | None = None) -> tuple[int, int]:
    """(flagged, verdicts) on unchanged models; `extra`: further independent null verdicts (True = flagged)."""
    nulls = [r for r in rows if r["factor"] == 1.0]
    extra = extra or []
    return sum(r["flagged"] for r in nulls) + sum(extra), sum(r["n"] for r in nulls) + len(extra)


def calibration(p_values: list[float], levels=(0.01, 0.05, 0.1, 0.2)) -> list[tuple[float, int, int]]:
    """(level, verdicts whose smallest Holm-adjusted p <= level, verdicts): the false-alarm rate each alpha would
    have had (Holm rejects at alpha exactly when the smallest adjusted p is <= alpha)."""
    return [(a, sum(p <= a for p in p_values), len(p_values)) for a in levels]


def _pct(x: float | None, signed: bool = False) -> str:
    if x is None:
        return "-"
    return f"{100 * x:+.2g} %" if signed else f"{100 * x:.2g} %"


def table(rows: list[dict]) -> str:
    lines = ["| model | change on cpp_standalone | pair judged | flagged (exit 1) | key statistic most changed | "
             "true change | stated smallest detectable (median) | flagged where true >= 2 x stated |",
             "|---|---|---|---|---|---|---|---|"]
    last = None
    for r in rows:
        change = "none (unchanged)" if r["factor"] == 1.0 else f"{100 * (r['factor'] - 1):+.0f} %"
        exact = all(m != "stat" for m in r["modes"])
        at2 = f"{r['at2'][0]}/{r['at2'][1]}" if r["at2"][1] else ("-" if r["factor"] == 1.0 or exact else
                                                                  "none at 2x")
        stated = _pct(r["stated"]) if r["stated"] is not None else ("- (exact)" if exact else "-")
        lines.append(f"| {r['model'] if r['model'] != last else ''} | {change} | {', '.join(r['modes'])} | "
                     f"{r['flagged']}/{r['n']} | {r['statistic'] or '-'} | "
                     f"{_pct(r['true_change'], True)} | {stated} | {at2} |")
        last = r["model"]
    return "\n".join(lines) + "\n"


def summary_lines(rows: list[dict], extra_nulls: list[bool] | None = None, alpha: float = 0.01) -> list[str]:
    hits, n = honesty(rows)
    fa, fn = false_alarms(rows, extra_nulls)
    lo, hi = clopper_pearson(fa, fn)
    lines = [f"Stated power: {hits}/{n} verdicts whose true change was >= 2x the stated detectable change were "
             f"flagged" + (f" ({100 * hits / n:.0f} %, 95 % CI {100 * clopper_pearson(hits, n)[0]:.0f}-"
                           f"{100 * clopper_pearson(hits, n)[1]:.0f} %)" if n else ""),
             f"False alarms on unchanged models: {fa}/{fn} (95 % CI {100 * lo:.2g}-{100 * hi:.2g} %; alpha = "
             f"{100 * alpha:g} %)"]
    p_values = [p for r in rows if r["factor"] == 1.0 for p in r["min_p"]]
    if p_values:
        lines.append("Statistically judged unchanged checks, false alarms at other alphas (smallest Holm-adjusted "
                     "p <= alpha): " + "; ".join(
                         f"alpha {a:g}: {k}/{m} (95 % CI {100 * clopper_pearson(k, m)[0]:.2g}-"
                         f"{100 * clopper_pearson(k, m)[1]:.2g} %)" for a, k, m in calibration(p_values)))
    return lines


def _ci(x: float) -> str:
    """A bound of an interval in percent: 2 significant digits below 10 %, whole percent above (never 1e+02)."""
    return f"{100 * x:.2g}" if x < 0.1 else f"{100 * x:.0f}"


def sequential_lines(records: list[dict]) -> list[str]:
    """Per (model, factor) of the group-sequential checks (records with "max_seeds"): flagged, the seeds per device
    each stopped at, median wall time, and that of the fixed-seed check of the same seeds where one was run."""
    lines = []
    seq = [r for r in records if r.get("max_seeds")]
    for key in dict.fromkeys((r["model"], r["factor"]) for r in seq):
        these = [r for r in seq if (r["model"], r["factor"]) == key]
        n, flagged = len(these), sum(r["exit"] != 0 for r in these)
        lo, hi = clopper_pearson(flagged, n)
        stops: dict = {}
        for r in these:
            k = max((r.get("seeds_used") or {}).values(), default=0)
            stops[k] = stops.get(k, 0) + 1
        change = "unchanged" if key[1] == 1.0 else f"{100 * (key[1] - 1):+.0f} %"
        line = (f"{key[0]}, {change}, check --max-seeds {these[0]['max_seeds']}: flagged {flagged}/{n} (95 % CI "
                f"{_ci(lo)}-{_ci(hi)} %); stopped at " + ", ".join(
                    f"{k} seeds per device {c}x" for k, c in sorted(stops.items()))
                + f"; median wall time {np.median([r['seconds'] for r in these]):.0f} s")
        fixed = [r for r in these if "fixed_exit" in r]
        if fixed:
            line += (f"; the fixed-seed check of the same seeds: flagged {sum(r['fixed_exit'] for r in fixed)}/"
                     f"{len(fixed)}, median {np.median([r['fixed_seconds'] for r in fixed]):.0f} s (sequential/"
                     f"fixed wall time per trial, median: "
                     f"{np.median([r['seconds'] / r['fixed_seconds'] for r in fixed]):.2f})")
        lines.append(line)
    return lines
