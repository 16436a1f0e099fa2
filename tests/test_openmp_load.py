"""An OpenMP cell next to a busy process: it passes and runs with OMP_WAIT_POLICY=passive; the user's own policy
is kept. Short schedules: the test checks what the worker applies, not speed (the loaded/unloaded timing ratio is
printed, never asserted: machine load is not ours to control; a long OpenMP run with an active policy next to a
busy process is exactly the slowdown the passive default avoids, and it would slow the rest of the suite)."""
import pytest

from brian2_harness.cells.verdict import PASS
from brian2_harness.devices import openmp
from brian2_harness.families.growth.generate import generate_cases
from brian2_harness.run import RunConfig, execute
from brian2_harness.tools import bench

pytestmark = pytest.mark.brian

DEVICE = "cpp_standalone_omp"
SHORT = (1e-4, 0.01, 0.03)     # 300 steps (tests/sets.py's fast schedule: its builds are shared)


def _run(cases, cache_dir):
    cfg = RunConfig(variants=["summed_every_step"], devices=[DEVICE], dtypes=["float64"], cases=cases,
                    cache_dir=cache_dir, jobs=1, isolate_failures=0)
    result = execute(cfg)
    bad = [(v.verdict, v.reason[:300]) for v in result.verdicts if v.verdict != PASS]
    assert not bad, bad[:3]
    assert len(result.verdicts) == len(cases)
    (job,) = result.jobs
    return job


def test_openmp_cell_next_to_a_busy_process(cache_dir, monkeypatch, capsys):
    monkeypatch.delenv("OMP_WAIT_POLICY", raising=False)
    cases = generate_cases(50, 1, schedule=SHORT)
    _run(cases, cache_dir)                                 # build (or reuse) the binary: not timed
    unloaded = _run(cases, cache_dir)
    with bench.busy_load(1) as pids:
        assert len(pids) == 1
        loaded = _run(cases, cache_dir)
    for job in (unloaded, loaded):
        # the policy the worker applied, as its meta file reported it (jobs[].workarounds in the JSON)
        assert job.workarounds == ["OMP_WAIT_POLICY=passive (harness default)"]
        assert job.timing.get("exec_s", 0) > 0 and job.timing.get("compile_s") is not None
    ratio = loaded.timing["exec_s"] / unloaded.timing["exec_s"]
    with capsys.disabled():
        print(f"\nOpenMP cell ({len(cases)} cases, {openmp.cores()} cores): binary {unloaded.timing['exec_s']:.2f} s "
              f"unloaded, {loaded.timing['exec_s']:.2f} s next to 1 busy process: ratio {ratio:.1f}x "
              f"(worker {unloaded.seconds:.1f} s -> {loaded.seconds:.1f} s)")


def test_the_users_wait_policy_is_kept(cache_dir, monkeypatch):
    monkeypatch.setenv("OMP_WAIT_POLICY", "active")
    job = _run(generate_cases(3, 2, schedule=SHORT), cache_dir)
    assert job.workarounds == ["OMP_WAIT_POLICY=active (user environment)"]
