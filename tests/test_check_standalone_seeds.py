"""Standalone seeds from one build (check/branches.py): K seeds on cpp_standalone cost one build (counted, not
timed), give each seed the results of a run of its own (the same as `--fresh-processes`, which rebuilds per seed),
and fall back to a build per seed, saying why, when the script's Python part depended on the seed."""
import numpy as np
import pytest

from brian2_harness.check.script import run_device

pytestmark = pytest.mark.brian

MODEL = """
from brian2 import *
G = NeuronGroup(40, 'dv/dt = (1.2 - v)/(10*ms) + 0.4*xi/sqrt(ms) : 1', threshold='v > 1', reset='v = 0',
                method='euler')
G.v = 'rand()'
M = SpikeMonitor(G)
run(20*ms)
rate = M.num_spikes / (40 * 20*ms)
open('rate.txt', 'w').write(str(float(rate)))
"""

NUMPY_BEFORE = MODEL.replace("G.v = 'rand()'", "import numpy\nG.v = numpy.random.rand(40)")
SEEDED = MODEL.replace("run(20*ms)", "seed(7)\nrun(20*ms)")
SEEDS = [0, 1, 2, 3]


@pytest.fixture(scope="module")
def cache(tmp_path_factory):
    return tmp_path_factory.mktemp("cache")


def _run(tmp_path, cache, text, fresh, stat=True):
    folder = tmp_path / ("fresh" if fresh else "server")
    folder.mkdir(exist_ok=True)
    (folder / "model.py").write_text(text)
    run = run_device(str(folder / "model.py"), "cpp_standalone", SEEDS, stat=stat, cache_dir=cache, fresh=fresh)
    assert run.status == "ok", run.reason
    return run


def _count(run, key):
    return sum(int(r.meta["timers"].get(key, 0)) for r in run.runs)


def test_k_seeds_one_build_and_the_same_results_as_a_build_per_seed(tmp_path, cache):
    shared = _run(tmp_path, cache, MODEL, fresh=False, stat=False)
    assert _count(shared, "builds") == 1 and _count(shared, "binary_reruns") == len(SEEDS) - 1
    assert any("one build for 4 seeds" in n for n in shared.notes)
    rebuilt = _run(tmp_path, cache, MODEL, fresh=True, stat=False)
    assert _count(rebuilt, "builds") == len(SEEDS) and _count(rebuilt, "compiled") == 0     # warm: make is a no-op
    for a, b in zip(shared.runs, rebuilt.runs):
        assert a.seed == b.seed
        for key, value in a.observables["M"]["arrays"].items():
            np.testing.assert_array_equal(value, b.observables["M"]["arrays"][key])
        assert a.meta["stream"] == b.meta["stream"] and a.meta["written"] == b.meta["written"] == ["rate.txt"]
    spikes = [tuple(r.observables["M"]["arrays"]["t"][:5]) for r in shared.runs]
    assert len(set(spikes)) == len(SEEDS)             # every seed its own sample


@pytest.mark.parametrize("text, why", [(NUMPY_BEFORE, "global random generator before the build"),
                                       (SEEDED, "seeds its random numbers itself")])
def test_a_script_whose_build_depends_on_the_seed_is_built_per_seed(tmp_path, cache, text, why):
    run = _run(tmp_path, cache, text, fresh=False)
    assert _count(run, "builds") == len(SEEDS) and _count(run, "binary_reruns") == 0
    assert any(why in n for n in run.notes), run.notes
    rebuilt = _run(tmp_path, cache, text, fresh=True)
    np.testing.assert_equal([r.statistics for r in run.runs], [r.statistics for r in rebuilt.runs])
