"""Two-sample tests, Holm's correction and the detectable effect, in numpy and the standard library only.

* `welch(a, b)`: Welch's t-test (unequal variances), two-sided p from Student's t distribution
  (regularized incomplete beta function, Lentz's continued fraction; accurate to ~1e-12).
* `welch_permutation(a, b)`: Welch's t with its p from relabeling the seeds (exact, whatever the distribution of
  the statistic over seeds); Student's t distribution only where the seeds are too few for the level.
* `permutation(per_seed_a, per_seed_b, statistic)`: a seed-label permutation test: the runs (seeds) are the
  exchangeable units under "both devices sample the same distribution", so the test is exact whatever the
  dependence between neurons or samples within a run. All relabelings when there are at most `EXACT_MAX`,
  otherwise enough random ones that the smallest attainable p is a tenth of the level it is tested at (fixed
  generator: the same data always give the same p), drawn in chunks and stopped once `EXCEEDANCES` of them reach
  the observed statistic (Besag & Clifford's sequential p = h/L, as valid as the full count: a statistic far from
  significance costs a few hundred relabelings instead of up to millions). The statistic is computed a chunk at a
  time.
* `holm(pvalues, alpha)`: which hypotheses are rejected with family-wise error rate alpha; adjusted p-values.
* `detectable(se, df, alpha_each, power)`: the smallest true difference a two-sided t-test at level alpha_each
  detects with probability `power`: (t_{1-alpha_each/2} + t_{power}) · se.
"""
from __future__ import annotations

import itertools
import math

import numpy as np

from brian2_harness import nonfinite

EXACT_MAX = 60000          # C(18, 9) = 48,620: up to 9 seeds per device every relabeling is enumerated
N_RANDOM = 2000
EXCEEDANCES = 50           # sampled relabelings stop at this many exceedances: p = 50/L (relative error ~14 %)
FIRST_CHUNK = 1000         # sampled relabelings per chunk: 1000, then doubling up to the statistic's memory cap


def _betacf(a: float, b: float, x: float) -> float:
    tiny, eps = 1e-300, 1e-15
    qab, qap, qam = a + b, a + 1.0, a - 1.0
    c, d = 1.0, 1.0 - qab * x / qap
    d = 1.0 / (d if abs(d) > tiny else tiny)
    h = d
    for m in range(1, 400):
        m2 = 2 * m
        aa = m * (b - m) * x / ((qam + m2) * (a + m2))
        d = 1.0 + aa * d
        d = 1.0 / (d if abs(d) > tiny else tiny)
        c = 1.0 + aa / c
        c = c if abs(c) > tiny else tiny
        h *= d * c
        aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2))
        d = 1.0 + aa * d
        d = 1.0 / (d if abs(d) > tiny else tiny)
        c = 1.0 + aa / c
        c = c if abs(c) > tiny else tiny
        de = d * c
        h *= de
        if abs(de - 1.0) < eps:
            break
    return h


def betainc(a: float, b: float, x: float) -> float:
    """Regularized incomplete beta function I_x(a, b)."""
    if x <= 0.0:
        return 0.0
    if x >= 1.0:
        return 1.0
    lbeta = math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x) + b * math.log1p(-x)
    if x < (a + 1.0) / (a + b + 2.0):
        return math.exp(lbeta) * _betacf(a, b, x) / a
    return 1.0 - math.exp(lbeta) * _betacf(b, a, 1.0 - x) / b


def t_two_sided(t: float, df: float) -> float:
    """P(|T| >= |t|) for Student's t with df degrees of freedom."""
    if not math.isfinite(t):
        return 0.0
    return betainc(df / 2.0, 0.5, df / (df + t * t))


def t_quantile(p: float, df: float) -> float:
    """q with P(T <= q) = p (bisection on the two-sided tail)."""
    if p == 0.5:
        return 0.0
    tail = 2.0 * (1.0 - p) if p > 0.5 else 2.0 * p
    lo, hi = 0.0, 1.0
    while t_two_sided(hi, df) > tail:
        hi *= 2.0
        if hi > 1e12:
            break
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        if t_two_sided(mid, df) > tail:
            lo = mid
        else:
            hi = mid
    q = 0.5 * (lo + hi)
    return q if p > 0.5 else -q


def welch(a, b) -> tuple[float, float, float, float]:
    """(t, two-sided p, df, standard error of mean(a) - mean(b)). Zero variance on both sides: p = 1 if the
    means are equal, else 0 (a deterministic difference)."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    na, nb = len(a), len(b)
    ma, mb = float(a.mean()), float(b.mean())
    va = float(a.var(ddof=1)) if na > 1 else 0.0
    vb = float(b.var(ddof=1)) if nb > 1 else 0.0
    se2 = va / na + vb / nb
    if se2 <= 0.0 or not math.isfinite(se2):
        same = ma == mb or math.isclose(ma, mb, rel_tol=1e-12, abs_tol=1e-300)
        return (0.0 if same else math.inf), (1.0 if same else 0.0), float(na + nb - 2), 0.0
    se = math.sqrt(se2)
    t = (ma - mb) / se
    ra, rb = (va / na) / se2, (vb / nb) / se2       # Welch-Satterthwaite on shares of se2: values near 1e154
    denom = (ra * ra / (na - 1) if na > 1 else 0.0) + (rb * rb / (nb - 1) if nb > 1 else 0.0)   # overflow squared
    df = 1.0 / denom if denom > 0 else float(na + nb - 2)
    return t, t_two_sided(t, max(df, 1.0)), df, se


def relabelings(n_a: int, n_b: int, needed_p: float = 0.0) -> tuple[np.ndarray, bool]:
    """(masks (R, n) of group a, exact). All relabelings when there are at most EXACT_MAX, otherwise enough random
    ones (the observed labeling first) for a smallest attainable p of at most needed_p / 10 (at least N_RANDOM).
    With equal group sizes the statistics of `permutation` are symmetric in the groups: exact enumeration then keeps
    the relabelings that put the first seed in group a (half of them; the p-value is the same)."""
    chunks = list(_chunks(n_a, n_b, needed_p, None))
    return np.concatenate(chunks), _exact(n_a, n_b)


def _exact(n_a: int, n_b: int) -> bool:
    return math.comb(n_a + n_b, n_a) <= EXACT_MAX


def _n_random(needed_p: float) -> int:
    return max(N_RANDOM, int(math.ceil(10.0 / needed_p)) if needed_p > 0 else N_RANDOM)


def _chunks(n_a: int, n_b: int, needed_p: float, cap: int | None):
    """`relabelings`' masks, a chunk at a time: the enumeration at once, the random ones (the observed labeling
    first) in chunks of FIRST_CHUNK, doubling up to `cap` rows (None: all at once), the same masks whatever the
    chunks (one generator, drawn in order)."""
    n = n_a + n_b
    if _exact(n_a, n_b):
        if n_a == n_b:      # a relabeling and its complement give the same (symmetric) statistic: half suffice
            combos = [(0, *c) for c in itertools.combinations(range(1, n), n_a - 1)]
        else:
            combos = list(itertools.combinations(range(n), n_a))
        masks = np.zeros((len(combos), n), dtype=bool)
        for row, combo in enumerate(combos):
            masks[row, list(combo)] = True
        for start in range(0, len(masks), cap or len(masks)):
            yield masks[start:start + (cap or len(masks))]
        return
    count = _n_random(needed_p)
    rng = np.random.default_rng(12345)
    observed = np.zeros((1, n), dtype=bool)
    observed[0, :n_a] = True
    done, size, first = 0, (count if cap is None else min(FIRST_CHUNK, cap)), True
    while done < count:
        rows = min(size, count - done)
        order = np.argsort(rng.random((rows, n)), axis=1)[:, :n_a]
        masks = np.zeros((rows, n), dtype=bool)
        np.put_along_axis(masks, order, True, axis=1)
        yield np.concatenate([observed, masks]) if first else masks
        done, first = done + rows, False
        size = size if cap is None else min(2 * size, cap)


def _p_value(values_of, n_a: int, n_b: int, needed_p: float, cap: int, reaches) -> float:
    """p = share of relabelings whose statistic reaches the observed one (the observed labeling counted): every
    enumerated one, or the sampled ones until EXCEEDANCES of them reach it (Besag-Clifford: p = h/L at the L-th
    relabeling drawn) or all are drawn (p = count/total)."""
    exact = _exact(n_a, n_b)
    count = total = 0
    for masks in _chunks(n_a, n_b, needed_p, cap):
        hits = reaches(values_of(masks))
        if not exact and count + int(hits.sum()) >= EXCEEDANCES:
            at = int(np.flatnonzero(hits)[EXCEEDANCES - count - 1])
            return EXCEEDANCES / (total + at + 1)
        count, total = count + int(hits.sum()), total + len(masks)
    return count / total


def smallest_p(n_a: int, n_b: int, needed_p: float = 0.0) -> float:
    """The smallest p-value `permutation` can return for these group sizes."""
    total = math.comb(n_a + n_b, n_a)
    if total <= EXACT_MAX:
        return (2.0 if n_a == n_b else 1.0) / total
    return 1.0 / (_n_random(needed_p) + 1)


def permutation(per_seed_a, per_seed_b, batch_statistic, needed_p: float = 0.0) -> tuple[float, float, float]:
    """(observed statistic, p, smallest attainable p). `batch_statistic(X, masks)` takes the pooled per-seed values
    X (n, ...) and boolean masks (R, n) of group a, and returns R statistics, large when the groups differ;
    p = share of relabelings (the observed one included) with a statistic >= the observed one."""
    X = np.asarray(list(per_seed_a) + list(per_seed_b), dtype=float)
    n_a, n_b = len(per_seed_a), len(per_seed_b)
    observed_mask = np.zeros((1, len(X)), dtype=bool)
    observed_mask[0, :n_a] = True
    observed = float(batch_statistic(X, observed_mask)[0])
    width = int(np.prod(X.shape[1:])) or 1
    p = _p_value(lambda masks: batch_statistic(X, masks), n_a, n_b, needed_p, max(1, 2_000_000 // width),
                 lambda values: values >= observed * (1 - 1e-12) - 1e-300)
    return observed, p, smallest_p(n_a, n_b, needed_p)


def _welch_batch(X: np.ndarray, masks: np.ndarray) -> np.ndarray:
    """|Welch t| of every relabeling (rows of `masks`: group a) of the pooled values X (n,)."""
    M = masks.astype(float)
    ka, kb = M.sum(axis=1), (~masks).sum(axis=1).astype(float)
    Y = X - X.mean()
    sa, qa = M @ Y, M @ (Y * Y)
    sb, qb = Y.sum() - sa, (Y * Y).sum() - qa
    ma, mb = sa / ka, sb / kb
    va = np.maximum(qa - ka * ma * ma, 0.0) / np.maximum(ka - 1, 1)
    vb = np.maximum(qb - kb * mb * mb, 0.0) / np.maximum(kb - 1, 1)
    se = np.sqrt(va / ka + vb / kb)
    d = np.abs(ma - mb)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(se > 0, d / np.where(se > 0, se, 1.0), np.where(d > 0, np.inf, 0.0))


def welch_permutation(a, b, needed_p: float = 0.0) -> tuple[float, float, float, float]:
    """Welch's (t, p, df, se) with p from relabeling the seeds (the statistic |t|): exact under "both samples come
    from one distribution" whatever its shape. Student's t distribution is not: with 8 seeds and a skewed statistic
    its p-values near alpha/m = 0.001 are up to twice too small. Where the relabelings cannot reach `needed_p`
    (few seeds: `scalar_p_kind`), the p of Student's t distribution is returned."""
    t, p, df, se = welch(a, b)
    if se <= 0.0 or not math.isfinite(t) or scalar_p_kind(len(a), len(b), needed_p) != "permutation":
        return t, p, df, se
    X = np.asarray(list(a) + list(b), dtype=float)
    observed = abs(t)
    p = _p_value(lambda masks: _welch_batch(X, masks), len(a), len(b), needed_p, 200_000,
                 lambda values: values >= observed * (1 - 1e-9))
    return t, p, df, se


def scalar_p_kind(n_a: int, n_b: int, needed_p: float) -> str:
    """"permutation" when relabeling the seeds can reach `needed_p` (0: no level given), else "t distribution"."""
    return "permutation" if needed_p <= 0.0 or smallest_p(n_a, n_b, needed_p) <= needed_p else "t distribution"


def holm(pvalues: list[float], alpha: float) -> tuple[list[bool], list[float]]:
    """(rejected, Holm-adjusted p) in the input order. A p that could not be computed (NaN) counts as 0: a test
    that cannot say whether two samples differ never passes them."""
    pvalues = [nonfinite.p_value(p) for p in pvalues]
    m = len(pvalues)
    order = sorted(range(m), key=lambda k: pvalues[k])
    rejected, adjusted = [False] * m, [1.0] * m
    running, still = 0.0, True
    for rank, k in enumerate(order):
        adj = min(1.0, (m - rank) * pvalues[k])
        running = max(running, adj)
        adjusted[k] = running
        if still and pvalues[k] <= alpha / (m - rank):
            rejected[k] = True
        else:
            still = False
    return rejected, adjusted


def detectable(se: float, df: float, alpha_each: float, power: float = 0.8) -> float:
    """Smallest |difference of means| detected with probability `power` by a two-sided test at alpha_each."""
    if se <= 0.0:
        return 0.0
    df = max(df, 1.0)
    return (t_quantile(1.0 - alpha_each / 2.0, df) + t_quantile(power, df)) * se
