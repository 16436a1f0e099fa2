"""Statistical mode: K seeds per device; per-observable statistics compared with two-sample tests.

Every run (one seed) reduces each observable to statistics (T = simulated time, N = group size):

| observable | scalar statistics (Welch t-test over seeds) | pattern / distribution (seed-permutation test) |
|---|---|---|
| spike train | population rate = spikes/(N·T); mean CV of ISIs (neurons with ≥ 3 spikes) | rates per neuron; — |
| population rate | mean rate; std of the rate over time | — |
| state variable | mean; std (all samples) | time-mean per recorded index; distribution of the final values |
| variable at the end / weights (--observe) | mean; std | value per element (same size on all runs); distribution |
| values recorded at spikes | mean | distribution |

Pattern statistic: Σ_i (mean_a,i − mean_b,i)² / (var_a,i/K_a + var_b,i/K_b); distribution statistic: the largest
difference between the seed-averaged empirical CDFs (Kolmogorov–Smirnov distance). Both are tested by permuting
whole seeds between the two devices (exact under the null, whatever the dependence inside a run).
Differences within the exact mode's floating-point allowance (eps^0.4 of the scale) are not statistical ones: a
scalar whose means differ by less is equal (p = 1); patterns and CDFs are compared with that margin (values that
are not finite are left out).

One family-wise false-alarm rate alpha over every statistic of every device compared with the reference (Holm).
A statistic that is constant and equal over all runs is reported as equal and not counted. Power: for each scalar
statistic, the smallest difference of means a test at alpha/m (Holm's first step) detects with 80 % probability
(from the observed spread); for permutation tests, whether K seeds can reach alpha/m at all.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from . import pvalues

SCALAR, PATTERN, DISTRIBUTION = "scalar", "pattern", "distribution"
GRID = 101
ALLOWANCE = float(np.finfo(float).eps) ** 0.4     # the exact mode's floating-point allowance (of the scale)


def _cv(i: np.ndarray, t: np.ndarray) -> float:
    order = np.lexsort((t, i))
    i, t = i[order], t[order]
    cvs = []
    for n in np.unique(i):
        isi = np.diff(t[i == n])
        if len(isi) >= 2 and isi.mean() > 0:
            cvs.append(isi.std() / isi.mean())
    return float(np.mean(cvs)) if cvs else float("nan")


def run_statistics(observables: dict, t_end: float) -> dict:
    """name -> (kind, value, unit) for one run."""
    out: dict = {}
    T = t_end if t_end > 0 else 1.0
    for name, o in observables.items():
        A, kind = o["arrays"], o["kind"]
        if kind == "spikes":
            N = max(int(o.get("N") or 1), 1)
            i, t = np.asarray(A["i"]), np.asarray(A["t"], dtype=float)
            out[f"{name}: population rate"] = (SCALAR, len(i) / (N * T), "Hz")
            out[f"{name}: CV of ISIs"] = (SCALAR, _cv(i, t), "")
            if N > 1:
                out[f"{name}: rates per neuron"] = (PATTERN, np.bincount(i, minlength=N)[:N] / T, "Hz")
        elif kind == "rate":
            v = np.asarray(A["values"], dtype=float)
            if v.size:
                out[f"{name}: mean"] = (SCALAR, float(v.mean()), o.get("unit", ""))
                out[f"{name}: std over time"] = (SCALAR, float(v.std()), o.get("unit", ""))
        elif kind == "state":
            v = np.asarray(A["values"], dtype=float)
            if v.size:
                out[f"{name}: mean"] = (SCALAR, float(v.mean()), o.get("unit", ""))
                out[f"{name}: std"] = (SCALAR, float(v.std()), o.get("unit", ""))
                if v.shape[0] > 1:
                    out[f"{name}: time-mean per index"] = (PATTERN, v.mean(axis=1), o.get("unit", ""))
                    out[f"{name}: distribution at the end"] = (DISTRIBUTION, v[:, -1], o.get("unit", ""))
        else:   # value, event_values
            v = np.asarray(A["values"], dtype=float).reshape(-1)
            if v.size:
                out[f"{name}: mean"] = (SCALAR, float(v.mean()), o.get("unit", ""))
                if kind == "value":
                    out[f"{name}: std"] = (SCALAR, float(v.std()), o.get("unit", ""))
                    if v.size > 1:
                        out[f"{name}: per element"] = (PATTERN, v, o.get("unit", ""))
                if v.size > 1:
                    out[f"{name}: distribution"] = (DISTRIBUTION, v, o.get("unit", ""))
    return out


def _pattern_stat(ga, gb, margin: float = 0.0) -> float:
    a, b = np.asarray(ga, dtype=float), np.asarray(gb, dtype=float)
    va = a.var(axis=0, ddof=1) if len(a) > 1 else np.zeros(a.shape[1])
    vb = b.var(axis=0, ddof=1) if len(b) > 1 else np.zeros(b.shape[1])
    d2 = np.maximum(np.abs(a.mean(axis=0) - b.mean(axis=0)) - margin, 0.0) ** 2
    den = va / len(a) + vb / len(b)
    floor = 1e-12 * (a.mean(axis=0) ** 2 + b.mean(axis=0) ** 2) + 1e-300
    return float(np.sum(d2 / np.maximum(den, floor)))


def _ks_stat(ga, gb) -> float:
    """Largest CDF difference allowing a shift by the margin: per seed [F(x), F(x + margin)] on one grid."""
    ma, mb = np.mean(ga, axis=0), np.mean(gb, axis=0)
    g = len(ma) // 2
    return float(max(0.0, np.max(ma[:g] - mb[g:]), np.max(mb[:g] - ma[g:])))


def _ecdfs(samples_a: list, samples_b: list, margin: float) -> tuple[list, list]:
    pooled = np.concatenate([np.asarray(s, dtype=float) for s in samples_a + samples_b])
    grid = np.unique(pooled) if len(np.unique(pooled)) <= GRID else np.quantile(pooled, np.linspace(0, 1, GRID))

    def ecdf(s):
        s = np.sort(np.asarray(s, dtype=float))
        n = max(len(s), 1)
        return np.concatenate([np.searchsorted(s, grid, side="right") / n,
                               np.searchsorted(s, grid + margin, side="right") / n])
    return [ecdf(s) for s in samples_a], [ecdf(s) for s in samples_b]


def _finite(kind: str, a: list, b: list):
    """Drop what is not finite: elements (pattern: the same indices in every run) or values; None if nothing is left."""
    if kind == PATTERN:
        if any(np.shape(x) != np.shape(b[0]) for x in a + b):
            return None
        keep = np.all([np.isfinite(np.asarray(x, dtype=float)) for x in a + b], axis=0)
        if not keep.any():
            return None
        return [np.asarray(x, dtype=float)[keep] for x in a], [np.asarray(x, dtype=float)[keep] for x in b]
    a = [np.asarray(x, dtype=float)[np.isfinite(x)] for x in a]
    b = [np.asarray(x, dtype=float)[np.isfinite(x)] for x in b]
    return (a, b) if all(len(x) for x in a + b) else None


def _test(dev: str, name: str, kind: str, unit: str, a: list, b: list):
    """One StatTest, "constant" (equal in every run: not counted) or None (not testable: NaN, sizes differ)."""
    if kind == SCALAR:
        a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
        if not (np.isfinite(a).all() and np.isfinite(b).all()):
            return None
        if np.all(a == b[0]) and np.all(b == b[0]):
            return "constant"
        margin = ALLOWANCE * max(np.max(np.abs(a)), np.max(np.abs(b)))
        if abs(a.mean() - b.mean()) <= margin:        # a floating-point difference is no statistical one
            t, p, df, se = 0.0, 1.0, float(len(a) + len(b) - 2), pvalues.welch(a, b)[3]
        else:
            t, p, df, se = pvalues.welch(a, b)
        return StatTest(dev, name, kind, unit, float(b.mean()), float(a.mean()), p, detectable=se, floor=df)
    finite = _finite(kind, a, b)
    if finite is None:
        return None
    a, b = finite
    if all(np.array_equal(x, b[0]) for x in a + b):
        return "constant"
    margin = ALLOWANCE * max(float(np.max(np.abs(np.concatenate(a + b)))), 0.0)
    ref_mean, mean = float(np.mean(np.concatenate(b))), float(np.mean(np.concatenate(a)))
    if kind == PATTERN:
        _, p, floor = pvalues.permutation(a, b, lambda x, y: _pattern_stat(x, y, margin))
    else:
        ea, eb = _ecdfs(a, b, margin)
        _, p, floor = pvalues.permutation(ea, eb, _ks_stat)
    return StatTest(dev, name, kind, unit, ref_mean, mean, p, floor=floor)


@dataclass
class StatTest:
    device: str
    statistic: str
    kind: str
    unit: str
    ref_mean: float
    mean: float
    p: float
    p_adjusted: float = 1.0
    rejected: bool = False
    detectable: float | None = None      # scalar: smallest difference of means detected with 80 % power
    floor: float | None = None           # permutation: smallest attainable p


@dataclass
class StatResult:
    equivalent: bool
    seeds: dict                          # device -> number of runs
    alpha: float
    m: int
    tests: list[StatTest]
    summary: str
    power: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _fmt(x: float) -> str:
    return f"{x:.4g}"


def compare(reference: str, runs: dict, t_end: float, alpha: float = 0.01) -> StatResult:
    """`runs`: device -> list of observables dicts (one per seed); the reference's runs are under `reference`."""
    return compare_statistics(reference, {dev: [run_statistics(obs, t_end) for obs in lst]
                                          for dev, lst in runs.items()}, alpha)


def compare_statistics(reference: str, stats: dict, alpha: float = 0.01) -> StatResult:
    """`stats`: device -> list of `run_statistics` results (one per seed)."""
    runs = stats
    ref_stats = stats[reference]
    tests: list[StatTest] = []
    notes: list[str] = []
    constant = 0
    for dev, dev_stats in stats.items():
        if dev == reference:
            continue
        names = [n for n in ref_stats[0] if all(n in s for s in ref_stats + dev_stats)]
        dropped = sorted({n for s in ref_stats + dev_stats for n in s} - set(names))
        if dropped:
            notes.append(f"{dev}: not in every run, not tested: {', '.join(dropped[:4])}"
                         + (f" and {len(dropped) - 4} more" if len(dropped) > 4 else ""))
        for name in names:
            kind, _, unit = ref_stats[0][name]
            test = _test(dev, name, kind, unit, [x[name][1] for x in dev_stats], [x[name][1] for x in ref_stats])
            if test == "constant":
                constant += 1
            elif test is not None:
                tests.append(test)
    m = len(tests)
    rejected, adjusted = pvalues.holm([t.p for t in tests], alpha) if m else ([], [])
    alpha_each = alpha / max(m, 1)
    for t, rej, adj in zip(tests, rejected, adjusted):
        t.rejected, t.p_adjusted = rej, adj
        if t.kind == SCALAR:
            se, df = t.detectable, t.floor
            t.detectable, t.floor = pvalues.detectable(se, df, alpha_each), None
    if constant:
        notes.append(f"{constant} statistic(s) constant and equal over all runs (not counted)")
    seeds = {dev: len(lst) for dev, lst in runs.items()}
    power = power_lines(tests, alpha_each)
    k = min(seeds.values()) if seeds else 0
    bad = [t for t in tests if t.rejected]
    if bad:
        t = min(bad, key=lambda x: x.p)
        more = f"; {len(bad) - 1} more statistic(s) differ" if len(bad) > 1 else ""
        summary = (f"statistically different: {t.statistic} on {t.device}: {_fmt(t.mean)} vs {_fmt(t.ref_mean)} "
                   f"{t.unit} on {reference} (p = {t.p:.2g}, Holm-adjusted {t.p_adjusted:.2g} <= alpha = {alpha}; "
                   f"{k} seeds per device){more}").replace("  ", " ")
    elif m == 0:
        summary = f"nothing varies between runs: every statistic is constant and equal ({k} seeds per device)"
    else:
        summary = (f"statistically equivalent ({k} seeds per device, alpha = {alpha} family-wise over {m} "
                   f"statistics, Holm)")
    return StatResult(not bad, seeds, alpha, m, tests, summary, power, notes)


def power_lines(tests: list[StatTest], alpha_each: float) -> list[str]:
    """What the tests could have seen: smallest detectable change per scalar statistic (80 % power)."""
    lines = []
    scal = [t for t in tests if t.kind == SCALAR and t.detectable is not None]
    rel = [(t.detectable / abs(t.ref_mean), t) for t in scal if t.ref_mean]
    if rel:
        rel.sort(key=lambda x: x[0])
        best, worst = rel[0], rel[-1]
        lines.append(f"smallest detectable change of a mean (80 % power, two-sided test at alpha/m = "
                     f"{alpha_each:.2g}): {100 * best[0]:.2g} % ({best[1].statistic}) to "
                     f"{100 * worst[0]:.2g} % ({worst[1].statistic}) "
                     f"of the reference value")
        rates = [(r, t) for r, t in rel if t.statistic.endswith("population rate")]
        for r, t in rates[:3]:
            lines.append(f"{t.statistic} ({t.device}): {100 * r:.2g} % = {t.detectable:.3g} {t.unit}".rstrip())
    perm = [t for t in tests if t.kind != SCALAR and t.floor is not None]
    if perm:
        blind = [t for t in perm if t.floor > alpha_each]
        if blind:
            floor = min(t.floor for t in blind)
            lines.append(f"{len(blind)} of {len(perm)} pattern/distribution test(s) cannot reach alpha/m = "
                         f"{alpha_each:.2g} with these seeds (smallest attainable p = {floor:.2g}): "
                         f"they see no difference whatever its size; use more seeds")
        else:
            lines.append(f"{len(perm)} pattern/distribution test(s) can reach alpha/m (smallest attainable p = "
                         f"{max(t.floor for t in perm):.2g})")
    return lines
