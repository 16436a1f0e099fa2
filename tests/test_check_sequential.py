"""Group-sequential seeds (check/sequential.py): the looks and the alpha spent (summing to alpha, so the union
bound keeps the family-wise false-alarm rate <= alpha), and the stopping rule on synthetic statistics: a clear
difference stops early, a clear agreement stops early, otherwise N seeds are reached and the verdict says so."""
import numpy as np
import pytest

from brian2_harness.check import sequential, stats


def test_looks_and_alpha_spending():
    assert sequential.schedule(32) == [4, 8, 16, 32]
    assert sequential.schedule(20) == [4, 8, 16, 20]
    assert sequential.schedule(3) == [3]
    spent = sequential.spending([4, 8, 16, 32], 0.01)
    assert sum(spent) == pytest.approx(0.01) and spent == sorted(spent)


def _sample(k, shift, spread, seed=1):
    rng = np.random.default_rng(seed)
    return {"ref": [{"M: population rate": (stats.SCALAR, float(x), "Hz")} for x in rng.normal(10, spread, k)],
            "dev": [{"M: population rate": (stats.SCALAR, float(x), "Hz")}
                    for x in rng.normal(10 * (1 + shift), spread, k)]}


def _run(shift, spread, max_seeds=32, min_effect=None):
    grown = []

    def grow(k):
        grown.append(k)
        return _sample(k, shift, spread)
    out = sequential.run(grow, lambda s, level, eff: stats.compare_statistics("ref", s, level, eff), max_seeds,
                         0.01, min_effect)
    return out, grown


def test_a_clear_difference_stops_at_the_first_look():
    out, grown = _run(shift=0.5, spread=0.1)
    assert grown == [4] and "difference" in out.why and not out.result.equivalent


def test_a_clear_agreement_stops_early():
    out, grown = _run(shift=0.0, spread=0.01)
    assert grown == [4] and "agreement was clear" in out.why and out.result.equivalent


def test_an_open_verdict_reaches_max_seeds_and_says_so():
    out, grown = _run(shift=0.0, spread=2.0, max_seeds=16, min_effect=0.01)
    assert grown == [4, 8, 16] and "--max-seeds 16 reached" in out.why
    assert out.result.too_weak and "group-sequential" in sequential.note(out, 0.01)


def _fake_runner(shift):
    calls = []

    def runner(script, device, seeds, *, stat=False, **kwargs):
        from brian2_harness.check.script import OK, DeviceRun, SeedRun
        calls.append((device, list(seeds)))
        runs = [SeedRun(s, OK, "", {}, {"t_end": 1.0}, statistics={"M: population rate": (
            stats.SCALAR, float(np.random.default_rng(s).normal(10 * (1 + (shift if device == "cython" else 0)), 1)),
            "Hz")}) for s in seeds]
        return DeviceRun(device, OK, "", runs)
    return runner, calls


@pytest.mark.parametrize("shift, looks", [(0.0, 3), (3.0, 1)])
def test_check_adds_seeds_only_while_the_verdict_is_open(tmp_path, shift, looks):
    from brian2_harness.check.verdict import check
    script = tmp_path / "m.py"
    script.write_text("")
    runner, calls = _fake_runner(shift)
    r = check(str(script), ["numpy", "cython"], mode="stat", runner=runner, max_seeds=16, jobs=1)
    assert len(calls) == 2 * looks and [len(s) for d, s in calls if d == "numpy"] == [4, 4, 8][:looks]
    assert r.verdict == ("fail" if shift else "agree_stat") and any("group-sequential" in n for n in r.notes)
    assert len({s for d, ss in calls if d == "numpy" for s in ss}) == [16, 4][looks == 1]     # no seed twice
