"""Known-bad variants: the harness must flag every one on every device where it runs."""
import pytest

from brian2_harness.case import default_case
from brian2_harness.generate import generate_cases
from brian2_harness.tolerance import growth_weight_tolerance

from conftest import MUTANTS  # noqa: F401  (the plugin file)
from helpers import cells, run_matrix

pytestmark = pytest.mark.brian
BAD = ["mutant_no_clip", "mutant_beta_ignored", "mutant_n_outgoing", "mutant_lag_claims_aligned"]


def test_every_mutant_is_caught_on_every_cpu_device():
    batch = [default_case()] + generate_cases(10, 5, schedule=(1e-4, 1.0, 3.0))
    result = run_matrix(batch, variants=BAD)
    for mutant in BAD:
        for device in ("numpy", "cython", "cpp_standalone", "cpp_standalone_omp"):
            failed = cells(result, "fail", variant=mutant, device=device)
            assert failed, f"{mutant} passed on {device}"
            assert any(v.case_id == "default" for v in failed), (mutant, device)
    assert not cells(result, "error")


def test_lag_is_caught_in_float32_above_the_detection_limit():
    """The smallest deviation a float32 check can see on the default case is tol_w; g*dt = 1e-5 is above it."""
    limit = growth_weight_tolerance("float32", 3, 8, 1.2)
    assert limit < 1e-5
    result = run_matrix([default_case(dtype="float32")], variants=["mutant_lag_claims_aligned"],
                        devices=["numpy", "cpp_standalone"], dtypes=("float32",))
    failed = cells(result, "fail")
    assert len(failed) == 2
    assert all("one-step schedule lag" in v.reason for v in failed)
