"""The resampled null of `check --max-seeds` (ci/sequential_null.py) on synthetic per-run statistics: no Brian.
The resampling feeds harness/check/sequential.py's own decision; a shifted device is flagged (negative control of
the null count), disjoint seed sets share no run."""
import importlib.util
from pathlib import Path

import numpy as np

_SPEC = importlib.util.spec_from_file_location("sequential_null", Path(__file__).resolve().parent.parent / "ci" /
                                               "sequential_null.py")
null = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(null)

RATE = "M: population rate"


def _pool(n, mean, seed):
    rng = np.random.default_rng(seed)
    return [{RATE: ("scalar", float(x), "Hz"), "M: CV of ISIs": ("scalar", float(y), "")}
            for x, y in zip(rng.normal(mean, 1.0, n), rng.normal(1.0, 0.1, n))]


def test_unchanged_pools_flag_nothing_and_reach_the_last_look():
    verdicts = null.resampled(_pool(40, 10.0, 1), _pool(40, 10.0, 2), 8, 0.01, None, 20)
    s = null.summary(verdicts)
    assert s["n"] == 20 and s["flagged"] <= 1 and s["ci95"][0] == 0.0
    assert s["stopped_at"].get("8", 0) >= 19          # 1 Hz spread: never a clear 5 % agreement at 4 seeds


def test_a_shifted_device_is_flagged_early():
    verdicts = null.resampled(_pool(40, 10.0, 1), _pool(40, 20.0, 2), 8, 0.01, None, 10)
    s = null.summary(verdicts)
    assert s["flagged"] == s["differences"] == 10 and "M: population rate" in s["flagged_statistics"]


def test_min_effect_failures_are_not_counted_as_differences():
    s = null.summary(null.resampled(_pool(40, 10.0, 1), _pool(40, 10.0, 2), 8, 0.01, 0.001, 5))
    assert s["flagged"] == 5 and s["differences"] == 0
    assert "too weak" in null.line("x", s)


def test_disjoint_sets_share_no_run(monkeypatch):
    seen = []
    monkeypatch.setattr(null, "verdict", lambda a, b, *rest: seen.append((a, b)) or dict(
        flagged=False, difference=False, seeds=8, why="", statistic=""))
    ref, dev = _pool(35, 10.0, 1), _pool(20, 10.0, 2)
    out = null.disjoint(ref, dev, 8, 0.01, None)
    assert len(out) == 2 == len(seen)                    # 20 // 8 sets: the smaller pool decides
    for side in (0, 1):
        ids = [id(r) for a_b in seen for r in a_b[side]]
        assert len(ids) == len(set(ids)) == 16


def test_benchmark_seeds_never_recur_on_a_device_nor_across_devices():
    spec = importlib.util.spec_from_file_location("stat_power_bench", Path(__file__).resolve().parent.parent / "ci" /
                                                  "stat_power_bench.py")
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    factors = (1.01, 1.05, 1.2, 1.5)
    assert [bench.trial_seed(factors, 1.0, t) for t in range(3)] == [0, 50, 100]    # the 2026-12-02 seeds
    for stride, base in ((10, 0), (32, 10 ** 6)):
        seeds = [bench.trial_seed(factors, f, t, stride, base) for t in range(40) for f in (1.0,) + factors]
        ref = [s + i for s in seeds for i in range(stride)]
        dev = [s + 1000 + i for s in seeds for i in range(stride)]
        assert len(set(ref)) == len(ref) and len(set(dev)) == len(dev) and not set(ref) & set(dev)


def test_one_pool_on_both_sides_never_puts_a_run_on_both():
    pool = _pool(20, 10.0, 3)
    for v in null.resampled(pool, pool, 8, 0.01, None, 5):
        assert len(set(v["ref_runs"]) | set(v["dev_runs"])) == 16
