"""Warm seeds with Brian (check/warm.py, runner.py): a runtime device's later seeds in the process of its first give
what fresh processes give, bit for bit (numpy and cython, a helper module and a data file in the script's folder);
a script that keeps state between runs in one process, or a later seed that fails there, falls back to fresh
processes and says so."""
import numpy as np
import pytest

from brian2_harness.check import collect, servers, warm
from brian2_harness.check.script import run_device

pytestmark = [pytest.mark.brian, pytest.mark.skipif(not servers.available(), reason="needs os.fork and os.waitid")]

HELPER = "GAIN = 1.5\n"
STOCHASTIC = """
from brian2 import *
import numpy as np
from warm_helper import GAIN
offset = float(open('offset.txt').read())
G = NeuronGroup(30, 'dv/dt = (GAIN - v)/(10*ms) + 0.3*xi/sqrt(ms) : 1', threshold='v > 1', reset='v = rand()*0.1',
                method='euler')
G.v = 'rand() * offset'
prefs.codegen.target = 'numpy'      # ignored by the harness, every run
defaultclock.dt = 0.05*ms
M = SpikeMonitor(G)
S = StateMonitor(G, 'v', record=[0, 7])
run(20*ms)
n_spikes = M.num_spikes
"""
# keeps state in an imported module (brian2) across runs in one process: the second run starts elsewhere
STATEFUL = """
import brian2
from brian2 import *
brian2.b2h_warm_runs = getattr(brian2, 'b2h_warm_runs', 0) + 1
G = NeuronGroup(3, 'dv/dt = -v/(10*ms) : 1')
G.v = brian2.b2h_warm_runs
M = StateMonitor(G, 'v', record=True)
run(1*ms)
"""


def _write(tmp_path, text):
    (tmp_path / "warm_helper.py").write_text(HELPER)
    (tmp_path / "offset.txt").write_text("0.9\n")
    script = tmp_path / "model.py"
    script.write_text(text)
    return str(script)


@pytest.mark.parametrize("device", ["numpy", "cython"])
def test_warm_seeds_give_what_fresh_processes_give_bit_for_bit(tmp_path, cache_dir, monkeypatch, device):
    script = _write(tmp_path, STOCHASTIC)
    got = {}
    for value in ("0", "1"):
        monkeypatch.setenv(warm.WARM_VAR, value)
        got[value] = run_device(script, device, [11, 12, 13, 14], stat=True, cache_dir=cache_dir, keep=True)
        assert got[value].status == "ok", got[value].reason
    cold, hot = got["0"].runs, got["1"].runs
    assert [r.meta.get("warm_after") for r in hot] == [None, 11, 11, 11]     # the control: they did run warm
    assert [r.meta.get("warm_after") for r in cold] == [None] * 4
    for a, b in zip(cold, hot):
        assert warm.differs(collect.load(a.folder), collect.load(b.folder)) == "", a.seed
        np.testing.assert_equal(a.statistics, b.statistics)
        assert any(p.endswith("warm_helper.py") for p in b.meta["inputs"]), b.meta["inputs"]
        assert any(p.endswith("offset.txt") for p in b.meta["inputs"]), b.meta["inputs"]
    traces = [collect.load(r.folder)[0]["S.v"]["arrays"]["values"].tobytes() for r in hot]
    assert len(set(traces)) == 4           # four samples, not one run four times


def test_a_script_that_keeps_state_between_runs_falls_back_to_fresh_processes(tmp_path, cache_dir, monkeypatch):
    monkeypatch.delenv(warm.WARM_VAR, raising=False)
    script = _write(tmp_path, STATEFUL)
    run = run_device(script, "numpy", [1, 2, 3], stat=True, cache_dir=cache_dir, keep=True)
    assert run.status == "ok", run.reason
    assert any(warm.FALLBACK in n and "differed" in n for n in run.notes), run.notes
    assert [r.meta.get("warm_after") for r in run.runs] == [None, None, None]
    for r in run.runs:          # every seed saw a fresh process: the script's counter is 1 in each
        values = collect.load(r.folder)[0]["M.v"]["arrays"]["values"]
        assert np.all(values[:, 0] == 1.0), (r.seed, values[:, 0])


def test_a_later_seed_that_fails_in_the_warm_process_is_run_fresh(tmp_path, cache_dir, monkeypatch):
    monkeypatch.delenv(warm.WARM_VAR, raising=False)
    np.random.seed(3)
    marker = np.random.randint(10**6)          # what the script draws first with the harness's seed 3
    script = _write(tmp_path, f"""
from brian2 import *
import numpy as np
if np.random.randint(10**6) == {marker}:
    raise RuntimeError('seed 3 fails')
G = NeuronGroup(3, 'dv/dt = -v/(10*ms) : 1')
G.v = 'rand()'
M = StateMonitor(G, 'v', record=True)
run(1*ms)
""")
    run = run_device(script, "numpy", [1, 2, 3, 4], stat=True, cache_dir=cache_dir, keep=True)
    statuses = [r.status for r in run.runs]
    assert statuses == ["ok", "ok", "error", "ok"], statuses
    assert "seed 3 fails" in run.runs[2].reason
    assert [r.meta.get("warm_after") for r in run.runs] == [None, 1, None, None]   # 3 and 4: fresh processes
    assert any("seed 3 and the seeds after it" in n for n in run.runs[0].meta["notes"])


def _hanging(tmp_path, seed):
    np.random.seed(seed)
    marker = np.random.randint(10**6)          # what the script draws first with the harness's seed
    return _write(tmp_path, f"""
import time
from brian2 import *
import numpy as np
if np.random.randint(10**6) == {marker}:
    time.sleep(600)
G = NeuronGroup(3, 'dv/dt = -v/(10*ms) : 1')
G.v = 'rand()'
M = StateMonitor(G, 'v', record=True)
run(1*ms)
""")


def test_a_later_seed_that_hangs_in_the_warm_process_gets_its_own_timeout_and_a_fresh_process(tmp_path, cache_dir,
                                                                                                 monkeypatch):
    monkeypatch.delenv(warm.WARM_VAR, raising=False)
    run = run_device(_hanging(tmp_path, 2), "numpy", [1, 2, 3], stat=True, cache_dir=cache_dir, keep=True,
                     timeout=4)
    assert [r.status for r in run.runs] == ["ok", "error", "ok"], [(r.status, r.reason) for r in run.runs]
    assert "timed out" in run.runs[1].reason
    assert [r.meta.get("warm_after") for r in run.runs] == [None, None, None]      # 2 and 3: fresh processes
    assert any("seed 2 and the seeds after it" in n and "per-run limit" in n for n in run.runs[0].meta["notes"])


def test_a_first_seed_that_hangs_times_out_as_before(tmp_path, cache_dir, monkeypatch):
    monkeypatch.delenv(warm.WARM_VAR, raising=False)
    run = run_device(_hanging(tmp_path, 1), "numpy", [1, 2, 3], stat=True, cache_dir=cache_dir, keep=True,
                     timeout=4)
    assert [r.status for r in run.runs] == ["error", "ok", "ok"], [(r.status, r.reason) for r in run.runs]
    assert "timed out" in run.runs[0].reason
