"""Batched runs are equivalent to running each case alone, on numpy and cpp_standalone (real Brian runs)."""
import numpy as np
import pytest

from brian2_harness.families.growth.case import default_case
from brian2_harness.families import get_family
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
    cases = [default_case()] + generate_cases(5, 11, schedule=(1e-4, 1.0, 3.0))
    batched, batched_verdicts = _observed(cases, device, tmp_path)
    for case, together in zip(cases, batched):
        (alone,), alone_verdicts = _observed([case], device, tmp_path)
        assert np.array_equal(together.w_before, alone.w_before)
        assert np.array_equal(together.w_after, alone.w_after)
        cid = case.name
        assert batched_verdicts[cid].verdict == alone_verdicts[cid].verdict == "pass"
        assert batched_verdicts[cid].max_abs_err == alone_verdicts[cid].max_abs_err
