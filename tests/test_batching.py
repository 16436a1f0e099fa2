"""Batched runs are equivalent to running each case alone, on numpy and cpp_standalone (real Brian runs)."""
import numpy as np
import pytest

from brian2_harness.families import get_family
from brian2_harness.families.growth.case import default_case
from brian2_harness.families.growth.generate import generate_cases
from brian2_harness.run import RunConfig, execute

pytestmark = pytest.mark.brian


def _observed(cases, device, tmp_path):
    cfg = RunConfig(variants=["summed_seed"], devices=[device], dtypes=["float64"], cases=cases,
                    cache_dir=tmp_path, isolate_failures=0)
    result = execute(cfg)
    (job,) = result.jobs
    assert job.arrays is not None, job.error
    return get_family("growth").split(job.cases, job.arrays), {v.case_id: v for v in result.verdicts}


@pytest.mark.parametrize("device", ["numpy", "cpp_standalone"])
def test_batched_equals_alone(device, tmp_path):
    cases = [default_case()] + generate_cases(3, 11, schedule=(1e-4, 1.0, 3.0))     # each alone is one more build
    batched, batched_verdicts = _observed(cases, device, tmp_path)
    for case, together in zip(cases, batched):
        (alone,), alone_verdicts = _observed([case], device, tmp_path)
        assert np.array_equal(together.w_before, alone.w_before)
        assert np.array_equal(together.w_after, alone.w_after)
        cid = case.name
        assert batched_verdicts[cid].verdict == alone_verdicts[cid].verdict == "pass"
        assert batched_verdicts[cid].max_abs_err == alone_verdicts[cid].max_abs_err


def test_a_reused_worker_generates_what_a_fresh_process_generates(tmp_path):
    """Long-lived workers reset Brian between jobs (Device.reset): a standalone project built in a fresh process
    is found unchanged by a worker that ran other jobs before (its cached build does not recompile), with the
    same results. Guards against state that survives the reset (e.g. a queued defaultclock.dt assignment)."""
    cases = generate_cases(3, 5, schedule=(1e-4, 1.0, 3.0))

    def once(variant, dtype, reuse):
        cfg = RunConfig(variants=[variant], devices=["cpp_standalone"], dtypes=[dtype], cases=cases,
                        cache_dir=tmp_path, isolate_failures=0, jobs=1, reuse_workers=reuse)
        result = execute(cfg)
        job = next(j for j in result.jobs if j.device == "cpp_standalone")
        assert job.arrays is not None, job.error
        return job

    fresh = once("summed_seed", "float32", reuse=False)
    assert fresh.cache["compiled"]
    once("summed_aligned", "float64", reuse=True)      # the worker that serves the next job has run this one
    again = once("summed_seed", "float32", reuse=True)
    assert {k: again.cache[k] for k in ("used", "warm", "compiled")} == {"used": True, "warm": True, "compiled": False}
    assert again.cache["folder"] == fresh.cache["folder"]
    assert all(np.array_equal(fresh.arrays[k], again.arrays[k]) for k in fresh.arrays)
