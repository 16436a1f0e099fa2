"""Known-bad variants: the harness must flag every one on every device where it runs."""
import pytest
from conftest import GROSS, MUTANTS  # noqa: F401  (the plugin files)
from helpers import cells, run_matrix

from brian2_harness.families.growth.case import default_case
from brian2_harness.families.growth.generate import generate_cases
from brian2_harness.families.growth.tolerance import growth_weight_tolerance

pytestmark = pytest.mark.brian
BAD = ["mutant_no_clip", "mutant_beta_ignored", "mutant_n_outgoing", "mutant_lag_claims_aligned"]


# cython and cpp_standalone_omp in the `deep` tests (the judging is the same on every device; what differs is the
# run, which test_matrix.py verifies on all four)
@pytest.mark.parametrize("devices", [
    pytest.param(("numpy", "cpp_standalone"), id="numpy-cpp"),
    pytest.param(("cython", "cpp_standalone_omp"), id="cython-omp", marks=pytest.mark.deep),
])
def test_every_mutant_is_caught_on_every_cpu_device(devices):
    batch = [default_case()] + generate_cases(10, 5, schedule=(1e-4, 1.0, 3.0))
    result = run_matrix(batch, variants=BAD, devices=list(devices))
    for mutant in BAD:
        for device in devices:
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


IFF_MUTANTS = {"gross_no_normalization": "no_normalization", "gross_divide_n_plus_1": "divide_n_plus_1",
               "gross_beta_squared": "beta_squared", "mutant_lag_claims_aligned": "lag"}


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_a_cell_fails_iff_the_mutant_deviates_beyond_its_stated_bounds(dtype):
    """For each known-bad rule, a Brian-free simulation of the bug says how far it lies from the oracle on each
    neuron; the Brian cell must fail exactly when that deviation exceeds the cell's per-neuron bounds, on numpy
    and cpp_standalone, over a generated set (tests/sets.py). Deviations within 10 % of a bound are left out
    (the device's own rounding may decide them) and counted."""
    from mutant_oracle import simulate_mutant
    from sets import growth_set

    from brian2_harness.devices import get_device
    from brian2_harness.families import get_family
    from brian2_harness.families.growth.compare import compare_growth
    from brian2_harness.families.growth.tolerance import growth_bounds

    cases = [c.replace(dtype=dtype) for c in growth_set(2, 24)]
    result = run_matrix(cases, variants=list(IFF_MUTANTS), devices=["numpy", "cpp_standalone"], dtypes=(dtype,),
                        plugins=(MUTANTS, GROSS))
    assert not cells(result, "error")
    fam = get_family("growth")
    checked = near = flagged = 0
    for case in cases:
        oracle = fam.oracle([case], "aligned")[0]
        for variant, kind in IFF_MUTANTS.items():
            bad = simulate_mutant(case, kind)
            for device in ("numpy", "cpp_standalone"):
                bounds = growth_bounds(oracle, dtype, case.n_steps, get_device(device).arithmetic)
                want = compare_growth(bad, oracle, dtype=dtype, bounds=bounds, excess=oracle.excess(),
                                      determinate=oracle.determinate, increment=case.g * case.dt)
                (cell,) = cells(result, variant=variant, device=device, case_id=case.name)
                if 0.9 < want.ratio < 1.1:
                    near += 1
                    continue
                checked += 1
                flagged += cell.verdict == "fail"
                assert (cell.verdict == "fail") == (not want.ok), (variant, device, case.name, cell.reason, want.reason)
                if cell.verdict == "pass":
                    assert cell.max_abs_err <= cell.detection_limit["max"] if cell.detection_limit else True
    print(f"\n{dtype}: {checked} (mutant, device, case) cells decided as the Brian-free deviation says "
          f"({flagged} flagged), {near} within 10 % of a bound left out")
    assert checked >= 150 and flagged >= 60
