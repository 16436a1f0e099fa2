"""The mutation benchmark's counting (ci/power_tally.py) on fake check records: no Brian, no runs."""
import importlib.util
from pathlib import Path

import pytest

_SPEC = importlib.util.spec_from_file_location("power_tally", Path(__file__).resolve().parent.parent / "ci" /
                                               "power_tally.py")
tally = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(tally)

RATE = "input_spikes: population rate"


def rec(factor, trial, exit, stated=0.1, mode="stat", ref=40.0, dev=None, p=0.5):
    dev = ref * factor if dev is None else dev
    return dict(model="m", factor=factor, trial=trial, exit=exit, verdict="fail" if exit else "agree_stat",
                mode=mode, why="different random streams", min_p_adjusted=p if mode == "stat" else None,
                power=[dict(statistic=RATE, relative=stated, key=True),
                       dict(statistic="x: CV of ISIs", relative=0.001, key=False)] if mode == "stat" else [],
                means={"numpy": {RATE: [ref]}, "cpp_standalone": {RATE: [dev]}})


def test_true_change_pools_every_unchanged_run():
    records = [rec(1.0, 0, 0), rec(1.0, 1, 0), rec(1.2, 0, 1), rec(1.2, 1, 1)]
    changes = tally.true_changes(tally.pooled(records, "m"), 1.2)
    assert changes[RATE] == pytest.approx(0.2)


def test_honesty_counts_only_verdicts_at_twice_the_stated_change():
    records = [rec(1.0, 0, 0, p=0.003), rec(1.0, 1, 0, p=0.9),
               rec(1.05, 0, 0), rec(1.05, 1, 1),                      # 5 % true vs 10 % stated: not counted
               rec(1.2, 0, 1, stated=0.08), rec(1.2, 1, 0, stated=0.08),   # 20 % vs 8 %: counted, 1 of 2
               rec(1.2, 2, 1, stated=0.12)]                           # 20 % vs 12 %: below 2x, not counted
    rows = tally.summarize(records)
    by = {r["factor"]: r for r in rows}
    assert by[1.05]["at2"] == (0, 0) and by[1.05]["flagged"] == 1
    assert by[1.2]["at2"] == (1, 2) and by[1.2]["flagged"] == 2 and by[1.2]["statistic"] == RATE
    assert by[1.2]["stated"] == pytest.approx(0.08)       # median over the verdicts that stated it
    assert tally.honesty(rows) == (1, 2)
    assert tally.false_alarms(rows) == (0, 2)
    assert tally.false_alarms(rows, [True, False, False]) == (1, 5)
    assert tally.calibration(by[1.0]["min_p"], (0.001, 0.01)) == [(0.001, 0, 2), (0.01, 1, 2)]
    text = tally.table(rows)
    assert "| +20 % | stat | 2/3 |" in text and "1/2 |" in text and "none at 2x" in text


def test_exact_verdicts_state_no_power():
    rows = tally.summarize([rec(1.0, 0, 0, mode="exact"), rec(1.01, 0, 1, mode="exact")])
    assert rows[1]["at2"] == (0, 0) and rows[1]["stated"] is None
    assert rows[1]["statistic"] == RATE and rows[1]["true_change"] == pytest.approx(0.01)
    assert "- (exact)" in tally.table(rows)
    assert tally.summary_lines(rows)[1].startswith("False alarms on unchanged models: 0/1")


@pytest.mark.parametrize("k,n,lo,hi", [(0, 10, 0.0, 0.3085), (1, 80, 0.000316, 0.0677), (5, 5, 0.4782, 1.0)])
def test_clopper_pearson_matches_tables(k, n, lo, hi):
    got = tally.clopper_pearson(k, n)
    assert got[0] == pytest.approx(lo, abs=2e-4) and got[1] == pytest.approx(hi, abs=2e-4)


def test_sequential_lines_count_stops_and_wall_time():
    recs = [dict(rec(1.05, t, t % 2), max_seeds=32, seeds_used={"numpy": k, "cpp_standalone": k}, seconds=s,
                 fixed_exit=0, fixed_seconds=20.0) for t, (k, s) in enumerate([(16, 40.0), (32, 80.0), (32, 90.0)])]
    recs.append(rec(1.0, 0, 0))                          # a fixed-seed check: not in these lines
    (line,) = tally.sequential_lines(recs)
    assert "+5 %" in line and "flagged 1/3" in line and "16 seeds per device 1x, 32 seeds per device 2x" in line
    assert "median wall time 80 s" in line and "flagged 0/3, median 20 s" in line and "median: 4.00" in line


def test_sequential_interval_bounds_print_as_percent():
    recs = [dict(rec(1.05, t, 1), max_seeds=8, seeds_used={"numpy": 8}, seconds=1.0) for t in range(3)]
    (line,) = tally.sequential_lines(recs)
    assert "flagged 3/3 (95 % CI 29-100 %)" in line and "e+" not in line
