"""ci/examples_table.py --record: each example's baseline stored as `check --record` does, so that `brian2-harness
history` compares two tables example by example; the control: an example changed between the two tables is
reported changed, the unchanged one identical."""
import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.brian

CI = Path(__file__).resolve().parent.parent / "ci"
_SPEC = importlib.util.spec_from_file_location("examples_table", CI / "examples_table.py")
table = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(table)

EXAMPLE = """from brian2 import *
G = NeuronGroup(3, 'dv/dt = (GAIN - v) / (10*ms) : 1', threshold='v > 1', reset='v = 0', method='exact')
G.v = 'i / 3.0'
spikes = SpikeMonitor(G)
trace = StateMonitor(G, 'v', record=True)
run(20*ms)
"""


def _table(folder: Path, out: Path, gains: dict) -> None:
    for rel, gain in gains.items():
        (folder / rel).parent.mkdir(parents=True, exist_ok=True)
        (folder / rel).write_text(f"GAIN = {gain}\n" + EXAMPLE)
    assert table.main(["--examples", str(folder), "--version", "installed", "--out", str(out / "table"),
                       "--devices", "numpy,cython", "--record", str(out / "records")]) == 0


def test_two_tables_compared_example_by_example(tmp_path):
    _table(tmp_path / "a", tmp_path / "ra", {"same.py": 1.5, "sub/same.py": 1.5, "changed.py": 1.5})
    _table(tmp_path / "b", tmp_path / "rb", {"same.py": 1.5, "sub/same.py": 1.5, "changed.py": 1.8})
    rows = [json.loads(x) for x in (tmp_path / "ra" / "table" / "results.jsonl").read_text().splitlines()]
    assert all(r.get("record") for r in rows), rows            # every example recorded, the record's folder named
    assert len({r["record"] for r in rows}) == 3               # two files named same.py: two baselines
    proc = subprocess.run([sys.executable, "-m", "brian2_harness", "history", str(tmp_path / "ra" / "records"),
                           str(tmp_path / "rb" / "records"), "--json", str(tmp_path / "h.json")],
                          capture_output=True, text=True)
    assert proc.returncode in (0, 1), proc.stderr
    step = json.loads((tmp_path / "h.json").read_text())["steps"][0]
    listed = {(r["script"], r["device"]): r["status"] for r in step["rows"]}
    assert {k: v for k, v in listed.items() if k[0] == "changed"} == {("changed", "numpy"): "changed",
                                                                       ("changed", "cython"): "changed"}, listed
    # the two same.py: keys hashed from their path in the examples folder, the same in both tables, so compared
    same = {k: v for k, v in listed.items() if k[0].startswith("same-")}
    assert len(same) == 4 and set(same.values()) == {"identical"}, listed
