"""The path benchmark (harness/check/bench.py: check_paths) measures the README's example as the README shows it
and the statistical-power benchmark's rewired script; its table states the ratios."""
from pathlib import Path

from brian2_harness.check import bench

ROOT = Path(__file__).resolve().parent.parent


def test_the_readme_example_is_the_readmes():
    readme = (ROOT / "README.md").read_text()
    block = readme.split("# my_model.py\n", 1)[1].split("```", 1)[0]
    assert block == bench.README_EXAMPLE


def test_the_stochastic_case_is_the_power_benchmarks_rewiring(tmp_path):
    text = (ROOT / "ci" / "stat_power_bench.py").read_text()
    assert '"syn.connect(p=0.2)")' in text and "RandomState(2024).rand(N_in, N_out) < 0.2)   " in text
    cases = bench.path_cases(tmp_path)
    assert [c[1].exists() for c in cases] == [True] * 3
    assert "connect(p=0.2)" in cases[1][1].read_text()


def test_the_table_states_the_ratios():
    rows = [{"case": "x", "plain": [2.0, 2.0], "fresh": [12.0, 10.0], "cold": [6.0, 6.0], "server": [4.0, 4.0],
             "kept": [1.0, 2.0], "verdicts": {"agree"}}]
    table = bench.paths_table(rows)
    assert "| x | 2.0 s | 11.0 s | 6.0 s | 4.0 s | 1.5 s | 2.75x | 1.50x | 2.00x | 0.75x | agree |" in table
