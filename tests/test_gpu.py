"""GPU checks (tox -e gpu). They fail, not skip, when cuda_standalone cannot run: the GPU job must not pass
by skipping."""
import pytest
from helpers import cells, run_matrix

from brian2_harness.devices import get_device
from brian2_harness.families.growth.case import default_case

pytestmark = pytest.mark.cuda_run


def test_cuda_runs_here():
    probe = get_device("cuda_standalone").probe()
    assert probe.mode == "run", f"cuda_standalone required but it cannot run here: {probe.reason}"


def test_cuda_tolerance_still_catches_a_one_step_lag_in_float64():
    result = run_matrix([default_case()], variants=["mutant_lag_claims_aligned", "summed_aligned"],
                        devices=["cuda_standalone"], dtypes=("float64",))
    (lag,) = cells(result, variant="mutant_lag_claims_aligned")
    assert lag.verdict == "fail" and "one-step schedule lag" in lag.reason
    (ok,) = cells(result, variant="summed_aligned")
    assert ok.verdict == "pass", ok.reason
