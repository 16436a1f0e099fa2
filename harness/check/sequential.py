"""Seeds only while the statistical verdict is open (`check --max-seeds N`): a group-sequential design.

Looks at K = 4, 8, 16, ... seeds per device, up to N (the last look is at N). At look j the statistics are compared
(stats.compare_statistics, Holm over every statistic of every device) at a level alpha_j spent from alpha by the
power rule alpha · ((K_j/N)^2 − (K_{j−1}/N)^2): little early, most at the last look. Whatever the correlation
between looks, the chance of a false alarm at any look is at most Σ alpha_j = alpha (the union bound), so the
family-wise false-alarm rate stays ≤ alpha, as far as each look's test holds its level (at 4 seeds per device the
scalars fall back to Student's t distribution). Stopping for agreement never adds a false alarm. Measured on the
resampled null of the benchmark runs (ci/sequential_null.py): docs/statistical-power.md.

A look ends the check when
* a statistic differs (fail: a clear difference, found with K_j seeds);
* the agreement is clear: every key statistic's detectable change (80 % power at the look's level) is at most
  `--min-effect` (default: 5 %, the "strong" threshold of stats.py);
* N seeds are reached: the verdict is what those seeds show (with `--min-effect`: "too weak" when they do not
  reach it).
The verdict's notes state the looks, the alpha spent at each and why it stopped.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from . import stats

FIRST = 4


def schedule(max_seeds: int, first: int = FIRST) -> list[int]:
    """Seeds per device at each look: first, 2·first, ... below max_seeds, then max_seeds."""
    looks, k = [], max(2, first)
    while k < max_seeds:
        looks.append(k)
        k *= 2
    return looks + [max(2, max_seeds)]


def spending(looks: list[int], alpha: float) -> list[float]:
    """alpha_j = alpha · ((K_j/N)^2 − (K_{j−1}/N)^2); they sum to alpha."""
    n = float(looks[-1])
    fractions = [(k / n) ** 2 for k in looks]
    return [alpha * (f - (fractions[j - 1] if j else 0.0)) for j, f in enumerate(fractions)]


@dataclass
class Outcome:
    result: stats.StatResult
    seeds: int                      # seeds per device at the look that stopped
    why: str
    looks: list = field(default_factory=list)      # (K, alpha_j) of the looks made


def _clear_agreement(result: stats.StatResult, min_effect: float | None) -> float | None:
    """The largest detectable change of a key statistic when it is within the target, else None."""
    keys = stats._key_power(result.tests)
    if not keys:
        return None
    worst = keys[-1][0]
    return worst if worst <= (min_effect if min_effect is not None else stats.STRONG) else None


def run(grow, compare, max_seeds: int, alpha: float, min_effect: float | None) -> Outcome:
    """`grow(k)`: make every device's sample k seeds and return it; `compare(sample, level, min_effect)`: a
    StatResult at that level."""
    looks = schedule(max_seeds)
    levels = spending(looks, alpha)
    made = []
    for j, (k, level) in enumerate(zip(looks, levels)):
        sample = grow(k)
        last = j == len(looks) - 1
        result = compare(sample, level, min_effect)
        made.append((k, level))
        if any(t.rejected for t in result.tests):
            return Outcome(result, k, f"a difference was found with {k} seeds per device", made)
        worst = _clear_agreement(result, min_effect)
        target = f"--min-effect {100 * min_effect:g} %" if min_effect is not None else \
            f"{100 * stats.STRONG:g} % (a strong agreement)"
        if worst is not None:
            return Outcome(result, k, f"the agreement was clear with {k} seeds per device: every key statistic's "
                                      f"detectable change ({100 * worst:.2g} % or less) is within {target}", made)
        if result.m == 0 and not last:
            return Outcome(result, k, f"nothing varies between runs with {k} seeds per device", made)
        if last:
            return Outcome(result, k, f"--max-seeds {max_seeds} reached without a clear agreement (target: "
                                      f"{target})", made)
    raise AssertionError("unreachable")


def note(outcome: Outcome, alpha: float) -> str:
    looks = ", ".join(f"{k} (alpha {a:.2g})" for k, a in outcome.looks)
    return (f"group-sequential: looks at {looks} seeds per device, family-wise alpha = {alpha} spent over the "
            f"planned looks; stopped: {outcome.why}")
