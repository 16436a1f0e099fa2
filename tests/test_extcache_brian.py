"""A Cython cache poisoned as a killed run leaves it (its modules cut short while the linker wrote them: the 2.6.0
examples table's Brunel-Wang 2001 then failed with "file too short" as if Brian had): check names the harness's cache,
not Brian, removes the broken modules, and the next check agrees again."""
import glob

import numpy
import pytest

from brian2_harness.check.script import run_device
from brian2_harness.plumbing.cachedirs import COMPILED_VAR

pytestmark = pytest.mark.brian

SCRIPT = """from brian2 import *
G = NeuronGroup(3, 'dv/dt = (1.25 - v) / (7.5*ms) : 1', threshold='v > 1', reset='v = 0', method='exact')
G.v = 'i * 0.25'
M = StateMonitor(G, 'v', record=True)
run(3*ms)
"""


def test_a_module_cut_short_in_the_cache_is_the_harness_problem_removed_and_rebuilt(tmp_path, monkeypatch):
    monkeypatch.setenv(COMPILED_VAR, str(tmp_path / "compiled"))
    script = tmp_path / "tiny.py"
    script.write_text(SCRIPT)
    first = run_device(str(script), "cython", [0], cache_dir=tmp_path / "cache", timeout=300)
    assert first.status == "ok", first.reason                                    # control: a clean cache
    modules = glob.glob(str(tmp_path / "compiled" / "cython" / "*.so"))
    assert modules
    broken = sorted(modules)[0]      # what a run killed while linking left (0 bytes: the module found in the table)
    with open(broken, "r+b") as f:
        f.truncate(0)
    poisoned = run_device(str(script), "cython", [0], cache_dir=tmp_path / "cache", timeout=300)
    assert poisoned.status == "error"
    assert poisoned.reason.startswith("harness problem: 1 compiled module(s) in the Cython cache were incomplete"), \
        poisoned.reason
    assert "removed: run the check again" in poisoned.reason
    assert sorted(glob.glob(str(tmp_path / "compiled" / "cython" / "*.so"))) == sorted(modules)[1:]   # only it
    again = run_device(str(script), "cython", [0], cache_dir=tmp_path / "cache", timeout=300)
    assert again.status == "ok", again.reason
    before, after = first.runs[0].observables["M.v"]["arrays"], again.runs[0].observables["M.v"]["arrays"]
    assert before.keys() == after.keys() and all(numpy.array_equal(before[k], after[k]) for k in before)
