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


def test_streamed_seeds_are_the_seeds_and_statistics_of_a_job_per_look(tmp_path, cache_dir, jobs):
    script = tmp_path / "model.py"
    script.write_text(STOCHASTIC)
    looks = check(str(script), ["numpy", "cython"], mode="stat", max_seeds=16, cache_dir=cache_dir,
                  runner=partial(run_device))          # not run_device itself: a job per look
    assert jobs == []
    streamed = check(str(script), ["numpy", "cython"], mode="stat", max_seeds=16, cache_dir=cache_dir)
    assert sorted(j.device for j in jobs) == ["cython", "numpy"]          # one job per device for every later look
    assert streamed.verdict == looks.verdict and streamed.reason == looks.reason
    for device in ("numpy", "cython"):
        a, b = looks.runs[device].runs, streamed.runs[device].runs
        assert [r.seed for r in a] == [r.seed for r in b]
        np.testing.assert_equal([r.statistics for r in a], [r.statistics for r in b])
    assert [(t.statistic, t.p) for t in looks.stat.tests] == [(t.statistic, t.p) for t in streamed.stat.tests]


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
