"""Statistical mode: K seeds per device; per-observable statistics compared with two-sample tests.

Every run (one seed) reduces each observable to statistics (T = simulated time, N = group size):

| observable | scalar statistics (Welch's t, p by seed permutation) | pattern / distribution (seed-permutation test) |
|---|---|---|
| spike train | population rate = spikes/(N·T); mean CV of ISIs (neurons with ≥ 3 spikes) | rates per neuron; — |
| population rate | mean rate; std of the rate over time | — |
| state variable | mean; std (all samples) | time-mean per recorded index; distribution of the final values |
| variable at the end / weights (--observe) | mean; std | value per element (same size on all runs); distribution |
| values recorded at spikes | mean | distribution |

Pattern statistic: Σ_i (mean_a,i − mean_b,i)² / (var_a,i/K_a + var_b,i/K_b); distribution statistic: the largest
difference between the seed-averaged empirical CDFs (Kolmogorov–Smirnov distance). All three are tested by
permuting whole seeds between the two devices (exact under the null, whatever the dependence inside a run and the
shape of the statistic's distribution: Student's t alone is up to 2x too liberal at alpha/m with 8 skewed seeds);
a scalar falls back to Student's t where too few seeds cannot reach alpha/m by permutation.
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

from . import pvalues, stat_nonfinite

SCALAR, PATTERN, DISTRIBUTION = "scalar", "pattern", "distribution"
GRID = 101
ALLOWANCE = float(np.finfo(float).eps) ** 0.4     # the exact mode's floating-point allowance (of the scale)


def _cv(i: np.ndarray, t: np.ndarray) -> float:
    """Mean over neurons with >= 2 ISIs (and a positive mean ISI) of std/mean of their ISIs, in one pass over the
    spikes sorted by neuron and time (a loop per neuron was 5 % of a 64-seed check's main process)."""
    order = np.lexsort((np.asarray(t, dtype=float), np.asarray(i)))
    i, t = np.asarray(i)[order], np.asarray(t, dtype=float)[order]
    same = i[1:] == i[:-1]
    isi, who = np.diff(t)[same], i[1:][same]
    _, group, counts = np.unique(who, return_inverse=True, return_counts=True)
    mean = np.bincount(group, isi, minlength=len(counts)) / np.maximum(counts, 1)
    std = np.sqrt(np.bincount(group, (isi - mean[group]) ** 2, minlength=len(counts)) / np.maximum(counts, 1))
    keep = (counts >= 2) & (mean > 0)
    return float(np.mean(std[keep] / mean[keep])) if keep.any() else float("nan")


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


def pattern_batch(margin: float):
    """Batch statistic of the pattern test: Σ_i (|mean_a,i − mean_b,i| − margin)+² / (var_a,i/K_a + var_b,i/K_b)."""
    def statistic(X: np.ndarray, masks: np.ndarray) -> np.ndarray:
        center = X.mean(axis=0)
        Y = X - center                                   # centred: no cancellation in the variances
        M = masks.astype(float)
        ka, kb = M.sum(axis=1)[:, None], (~masks).sum(axis=1)[:, None].astype(float)
        sa, qa = M @ Y, M @ (Y * Y)
        sb, qb = Y.sum(axis=0) - sa, (Y * Y).sum(axis=0) - qa
        ma, mb = sa / ka, sb / kb
        va = np.maximum(qa - ka * ma * ma, 0.0) / np.maximum(ka - 1, 1)
        vb = np.maximum(qb - kb * mb * mb, 0.0) / np.maximum(kb - 1, 1)
        d2 = np.maximum(np.abs(ma - mb) - margin, 0.0) ** 2
        floor = 1e-12 * ((ma + center) ** 2 + (mb + center) ** 2) + 1e-300
        return np.sum(d2 / np.maximum(va / ka + vb / kb, floor), axis=1)
    return statistic


def ks_batch(X: np.ndarray, masks: np.ndarray) -> np.ndarray:
    """Largest CDF difference allowing a shift by the margin (per seed [F(x), F(x + margin)] on one grid)."""
    M = masks.astype(float)
    ka, kb = M.sum(axis=1)[:, None], (~masks).sum(axis=1)[:, None].astype(float)
    sa = M @ X
    ma, mb = sa / ka, (X.sum(axis=0) - sa) / kb
    g = X.shape[1] // 2
    return np.maximum(0.0, np.maximum(np.max(ma[:, :g] - mb[:, g:], axis=1), np.max(mb[:, :g] - ma[:, g:], axis=1)))


def _ecdfs(samples_a: list, samples_b: list, margin: float) -> tuple[list, list]:
    pooled = np.concatenate([np.asarray(s, dtype=float) for s in samples_a + samples_b])
    grid = np.unique(pooled) if len(np.unique(pooled)) <= GRID else np.quantile(pooled, np.linspace(0, 1, GRID))

    def ecdf(s):
        s = np.sort(np.asarray(s, dtype=float))
        n = max(len(s), 1)
        return np.concatenate([np.searchsorted(s, grid, side="right") / n,
                               np.searchsorted(s, grid + margin, side="right") / n])
    return [ecdf(s) for s in samples_a], [ecdf(s) for s in samples_b]


def _test(dev: str, name: str, kind: str, unit: str, a: list, b: list, needed_p: float = 0.0):
    """One StatTest, "constant" (equal in every run: not counted) or None (not testable: NaN, sizes differ)."""
    if kind == SCALAR:
        a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
        a, b = a[np.isfinite(a)], b[np.isfinite(b)]     # how often it is not finite: stat_nonfinite.py
        if len(a) < 2 or len(b) < 2:
            return None
        if np.all(a == b[0]) and np.all(b == b[0]):
            return "constant"
        margin = ALLOWANCE * max(np.max(np.abs(a)), np.max(np.abs(b)))
        if abs(a.mean() - b.mean()) <= margin:        # a floating-point difference is no statistical one
            t, p, df, se = 0.0, 1.0, float(len(a) + len(b) - 2), pvalues.welch(a, b)[3]
        else:
            t, p, df, se = pvalues.welch_permutation(a, b, needed_p)
        return StatTest(dev, name, kind, unit, float(b.mean()), float(a.mean()), p, detectable=se, floor=df,
                        constant_sides=bool(p == 0.0 and np.all(a == a[0]) and np.all(b == b[0])))
    finite = stat_nonfinite.finite_parts(kind == PATTERN, a, b)
    if finite is None:
        return None
    a, b = finite
    if all(np.array_equal(x, b[0]) for x in a + b):
        return "constant"
    margin = ALLOWANCE * max(float(np.max(np.abs(np.concatenate(a + b)))), 0.0)
    ref_mean, mean = float(np.mean(np.concatenate(b))), float(np.mean(np.concatenate(a)))
    if kind == PATTERN:
        _, p, floor = pvalues.permutation(a, b, pattern_batch(margin), needed_p)
    else:
        ea, eb = _ecdfs(a, b, margin)
        _, p, floor = pvalues.permutation(ea, eb, ks_batch, needed_p)
    return StatTest(dev, name, kind, unit, ref_mean, mean, p, floor=floor)


def _tests(dev: str, name: str, kind: str, unit: str, a: list, b: list, needed_p: float):
    """The tests of one statistic: its finite values (_test) and where or how often it is NaN or ±inf
    (stat_nonfinite.py); "constant" when it is the same on every run; [] when nothing is testable."""
    odd = [StatTest(dev, name + x.pop("suffix"), **x)
           for x in stat_nonfinite.nonfinite_tests(kind, a, b, needed_p, pattern_batch(0.0))]
    main = _test(dev, name, kind, unit, a, b, needed_p)
    if main == "constant" or (main is None and not odd and stat_nonfinite.all_nonfinite(a, b)):
        return odd or "constant"
    return odd + ([main] if main is not None else [])


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
    constant_sides: bool = False         # scalar: one value on every seed of each side, different (p = 0)


def constant_note(t: StatTest, seeds: int) -> str:
    """What a fail on a statistic constant on each side can mean (limitations.md): '' for any other test."""
    if not t.constant_sides:
        return ""
    return (f"; {t.statistic} took one value on every seed of each side ({seeds} seeds): a deterministic "
            "difference, or a statistic of few values (a count, a bin edge) that more --seeds would show varying")


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
    strength: str = ""                   # strong | weak (what an agreement is worth), "" when nothing was tested
    too_weak: str = ""                   # set with --min-effect when the power does not reach it
    seeds_needed: int | None = None      # seeds per device that would reach --min-effect

    def power_table(self) -> list[dict]:
        """Smallest detectable change per scalar statistic (80 % power, at the statistic's Holm level)."""
        return [{"device": t.device, "statistic": t.statistic, "unit": t.unit, "reference_mean": t.ref_mean,
                 "detectable": t.detectable, "relative": relative(t), "key": is_key(t.statistic)}
                for t in self.tests if t.kind == SCALAR and t.detectable is not None]


def _fmt(x: float) -> str:
    return f"{x:.4g}"


def compare(reference: str, runs: dict, t_end: float, alpha: float = 0.01,
            min_effect: float | None = None) -> StatResult:
    """`runs`: device -> list of observables dicts (one per seed); the reference's runs are under `reference`."""
    return compare_statistics(reference, {dev: [run_statistics(obs, t_end) for obs in lst]
                                          for dev, lst in runs.items()}, alpha, min_effect)


STRONG = 0.05        # an agreement is "strong" when every key statistic would show a 5 % change


def is_key(statistic: str) -> bool:
    """Statistics that matter to a model: population rates, means of recorded variables and of final values
    (plastic weights, module-level results)."""
    return statistic.endswith(": population rate") or statistic.endswith(": mean")


def relative(t: StatTest) -> float | None:
    if t.detectable is None or not t.ref_mean:
        return None
    return float(t.detectable / abs(t.ref_mean))


def _candidates(reference: str, stats: dict, notes: list) -> tuple[list, int]:
    """(dev, name, kind, unit, device values, reference values) of every statistic present in every run; the
    number of statistics constant and equal everywhere is returned apart (not tested)."""
    ref_stats = stats[reference]
    out, constant = [], 0
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
            a, b = [x[name][1] for x in dev_stats], [x[name][1] for x in ref_stats]
            if kind == SCALAR and all(np.ndim(x) == 0 for x in a + b) and len({float(x) for x in a + b}) == 1:
                constant += 1
                continue
            out.append((dev, name, kind, unit, a, b))
    return out, constant


def _reachable(cands: list, alpha: float, notes: list) -> list:
    """Drop permutation tests whose smallest attainable p is above alpha/m (they could never reject): the others
    are tested at a level they can reach. A dropped test is stated with the seeds it would need."""
    keep = list(cands)
    while True:
        m = max(len(keep), 1)
        level = alpha / m      # permutation() samples enough relabelings for this level where it cannot enumerate
        blind = [c for c in keep if c[2] != SCALAR and pvalues.smallest_p(len(c[4]), len(c[5]), level) > level]
        if not blind:
            break
        keep = [c for c in keep if c not in blind]
        k = seeds_needed(level)
        notes.append(f"{len(blind)} pattern/distribution statistic(s) not tested: with {len(blind[0][4])} seeds a "
                     f"seed-permutation test cannot reach alpha/m = {level:.2g} (it would need {k} seeds per "
                     f"device); e.g. {blind[0][1]}")
    return keep


def seeds_needed(level: float) -> int:
    """Seeds per device with which a seed-permutation test can reach `level` (enumerated or sampled)."""
    return next(k for k in range(2, 10_000) if pvalues.smallest_p(k, k, level) <= level)


def compare_statistics(reference: str, stats: dict, alpha: float = 0.01,
                       min_effect: float | None = None) -> StatResult:
    """`stats`: device -> list of `run_statistics` results (one per seed). `min_effect` (a fraction, e.g. 0.02):
    the agreement is "too weak" when a key statistic's detectable change exceeds it."""
    notes: list[str] = []
    cands, constant = _candidates(reference, stats, notes)
    cands = _reachable(cands, alpha, notes)
    m = len(cands)
    alpha_each = alpha / max(m, 1)
    tests: list[StatTest] = []
    for dev, name, kind, unit, a, b in cands:
        found = _tests(dev, name, kind, unit, a, b, alpha_each)
        if found == "constant":
            constant += 1
        else:
            tests += found
    m = len(tests)
    rejected, adjusted = pvalues.holm([t.p for t in tests], alpha) if m else ([], [])
    alpha_each = alpha / max(m, 1)
    for t, rej, adj in zip(tests, rejected, adjusted):
        t.rejected, t.p_adjusted = rej, adj
        if t.kind == SCALAR:
            se, df = t.detectable, t.floor
            t.detectable, t.floor = pvalues.detectable(se, df, alpha_each), None
    parametric = [t for t in tests if t.kind == SCALAR and pvalues.scalar_p_kind(
        seeds_of(stats, t.device), seeds_of(stats, reference), alpha_each) != "permutation"]
    if parametric:
        notes.append(f"{len(parametric)} scalar statistic(s) tested with Student's t distribution: so few seeds cannot "
                     f"reach alpha/m = {alpha_each:.2g} by relabeling them (an exact test); with skewed statistics "
                     "its p can be too small")
    if constant:
        notes.append(f"{constant} statistic(s) constant and equal over all runs (not counted)")
    seeds = {dev: len(lst) for dev, lst in stats.items()}
    k = min(seeds.values()) if seeds else 0
    result = StatResult(True, seeds, alpha, m, tests, "", power_lines(tests, alpha_each), notes)
    _strength(result, min_effect, k)
    bad = [t for t in tests if t.rejected]
    if bad:
        t = min(bad, key=lambda x: x.p)
        more = f"; {len(bad) - 1} more statistic(s) differ" if len(bad) > 1 else ""
        more += constant_note(t, k)
        result.equivalent = False
        result.summary = (f"statistically different: {t.statistic} on {t.device}: {_fmt(t.mean)} vs "
                          f"{_fmt(t.ref_mean)} {t.unit} on {reference} (p = {t.p:.2g}, Holm-adjusted "
                          f"{t.p_adjusted:.2g} <= alpha = {alpha}; {k} seeds per device){more}").replace("  ", " ")
    elif m == 0:
        result.summary = f"nothing varies between runs: every statistic is constant and equal ({k} seeds per device)"
    elif result.too_weak:
        result.equivalent = False
        result.summary = f"too weak: {result.too_weak}"
    else:
        result.summary = (f"statistically equivalent, {result.strength} ({k} seeds per device, alpha = {alpha} "
                          f"family-wise over {m} statistics, Holm; {_strength_reason(result)})")
    return result


def seeds_of(stats: dict, device: str) -> int:
    return len(stats.get(device) or [])


def _key_power(tests: list[StatTest]) -> list[tuple[float, StatTest]]:
    scal = [(relative(t), t) for t in tests if t.kind == SCALAR and t.detectable is not None]
    keys = [(r, t) for r, t in scal if r is not None and is_key(t.statistic)]
    return sorted(keys or [(r, t) for r, t in scal if r is not None], key=lambda x: x[0])


def _strength(result: StatResult, min_effect: float | None, k: int) -> None:
    keys = _key_power(result.tests)
    if not keys:
        return
    worst, t = keys[-1]
    result.strength = "strong" if worst <= (min_effect or STRONG) else "weak"
    if min_effect is not None and worst > min_effect:
        # detectable change ~ 1/sqrt(K): about K * (worst / min_effect)^2 seeds per device reach min_effect
        result.seeds_needed = int(np.ceil(k * (worst / min_effect) ** 2 * 1.05))
        result.too_weak = (f"the smallest change these {k} seeds per device detect is {100 * worst:.2g} % for "
                           f"{t.statistic} ({t.device}), more than --min-effect {100 * min_effect:g} %; about "
                           f"{result.seeds_needed} seeds per device would reach it")


def _strength_reason(result: StatResult) -> str:
    keys = _key_power(result.tests)
    if not keys:              # only pattern / distribution tests: no detectable change of a mean to state
        return "no scalar statistic to state a detectable change for"
    worst, t = keys[-1]
    return (f"every key statistic would show a change of {100 * worst:.2g} % (largest: {t.statistic}, "
            f"{t.device}) with 80 % power")


def power_lines(tests: list[StatTest], alpha_each: float) -> list[str]:
    """What the tests could have seen: the smallest detectable change of each key statistic (80 % power)."""
    lines = []
    keys = _key_power(tests)
    if keys:
        lines.append(f"smallest change detected with 80 % power (two-sided test at alpha/m = {alpha_each:.2g}), "
                     "per key statistic:")
        for r, t in keys[:12]:
            lines.append(f"  {t.statistic} ({t.device}): {100 * r:.2g} % = {t.detectable:.3g} {t.unit}".rstrip())
        if len(keys) > 12:
            lines.append(f"  ... and {len(keys) - 12} more (JSON: stat.power_per_statistic)")
    perm = [t for t in tests if t.kind != SCALAR and t.floor is not None]
    if perm:
        lines.append(f"{len(perm)} pattern/distribution test(s), each able to reach alpha/m (smallest attainable "
                     f"p = {max(t.floor for t in perm):.2g})")
    return lines
