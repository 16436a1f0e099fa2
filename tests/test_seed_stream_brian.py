"""Seeds that run ahead of the looks (check/seed_stream.py): the same seeds and statistics as a job per look, one job
per device, and a check that stops early ends its jobs (the stop file) and keeps only the seeds it took."""
import os
from functools import partial

import numpy as np
import pytest

from brian2_harness.check import seed_stream, servers
from brian2_harness.check.script import run_device
from brian2_harness.check.verdict import check

pytestmark = [pytest.mark.brian, pytest.mark.skipif(not servers.available(), reason="needs os.fork and os.waitid")]

STOCHASTIC = """
from brian2 import *
rate = 1.2
G = NeuronGroup(40, 'dv/dt = (rate - v)/(10*ms) + 0.4*xi/sqrt(ms) : 1', threshold='v > 1', reset='v = rand()*0.1',
                method='euler')
G.v = 'rand()'
M = SpikeMonitor(G)
run(20*ms)
"""


@pytest.fixture
def jobs(monkeypatch):
    made = []

    class Spy(seed_stream._Job):
        def __init__(self, *args):
            super().__init__(*args)
            made.append(self)
    monkeypatch.setattr(seed_stream, "_Job", Spy)
    return made


SLOW = STOCHASTIC.replace("M = SpikeMonitor(G)",
                          "H = NeuronGroup(200000, 'dv/dt = -v/(10*ms) : 1')\nM = SpikeMonitor(G)")


@pytest.fixture(scope="module")
def per_look(tmp_path_factory, cache_dir):
    """The check with a job per look (a runner that is not run_device itself), and its options."""
    folder = tmp_path_factory.mktemp("stream")
    script, slow = folder / "model.py", folder / "slow.py"
    script.write_text(STOCHASTIC)
    slow.write_text(SLOW)
    options = dict(mode="stat", max_seeds=16, cache_dir=cache_dir, script_for={"numpy": str(slow)})
    return script, options, check(str(script), ["numpy", "cython"], runner=partial(run_device), **options)


@pytest.mark.parametrize("helper", [False, True])
def test_streamed_seeds_are_the_seeds_and_statistics_of_a_job_per_look(per_look, jobs, monkeypatch, helper):
    """The same seeds, statistics and p-values as a job per look; numpy runs a slower copy of the script (a silent
    extra group, the same spikes), and with `helper` it gets a helper job once cython's job is done."""
    script, options, looks = per_look
    monkeypatch.setattr(seed_stream, "HELP_MIN", 2 if helper else 10**6)
    streamed = check(str(script), ["numpy", "cython"], **options)
    made = sorted(j.device for j in jobs)
    assert made == (["cython", "numpy", "numpy"] if helper else ["cython", "numpy"])
    assert streamed.verdict == looks.verdict == "agree_stat" and streamed.reason == looks.reason
    for device in ("numpy", "cython"):
        a, b = looks.runs[device].runs, streamed.runs[device].runs
        assert [r.seed for r in a] == [r.seed for r in b]
        np.testing.assert_equal([r.statistics for r in a], [r.statistics for r in b])
    assert [(t.statistic, t.p) for t in looks.stat.tests] == [(t.statistic, t.p) for t in streamed.stat.tests]
    if helper:          # both cython jobs ran seeds, and each seed's folder stays in one of them only
        main, extra = [j for j in jobs if j.device == "numpy"]
        folders = [sorted(e for e in os.listdir(j.out_dir()) if e.startswith("seed-")) for j in (main, extra)]
        assert folders[0] and folders[1] and not set(folders[0]) & set(folders[1])


@pytest.mark.parametrize("stop", [True, False])
def test_a_check_that_stops_early_ends_its_jobs(tmp_path, cache_dir, jobs, monkeypatch, stop):
    """A difference found at the first look: the jobs end before their 32 seeds (control: without the stop file
    they run them all), and only the seeds taken keep their folders."""
    script, changed = tmp_path / "model.py", tmp_path / "changed.py"
    script.write_text(STOCHASTIC)
    changed.write_text(STOCHASTIC.replace("rate = 1.2", "rate = 3.0"))
    if not stop:
        monkeypatch.setattr(seed_stream._Job, "stop", lambda job: None)
    r = check(str(script), ["numpy", "cython"], mode="stat", max_seeds=32, cache_dir=cache_dir,
              script_for={"cython": str(changed)})
    assert r.verdict == "fail" and r.runs["cython"].runs and len(r.runs["cython"].runs) == 4
    for job in jobs:
        ran = [x for x in job.result.runs if x.status == "ok"]
        assert (len(ran) < len(job.seeds)) == stop, (job.device, len(ran))
        out = job.out_dir()
        kept = sorted(e for e in os.listdir(out) if e.startswith("seed-"))
        assert kept == sorted(f"seed-{x.seed}" for x in r.runs[job.device].runs if x.seed in job.seeds)
