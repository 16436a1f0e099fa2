"""Metaplastic family through the runner: >= 50 generated cases per CPU device against the oracle,
float64 and float32, and every negative control caught on numpy and cpp_standalone."""
import pytest
from helpers import cells, problems, run_matrix
from sets import meta_set

from brian2_harness.families.metaplastic.case import MUTATIONS, default_meta_case
from brian2_harness.families.metaplastic.generate import generate_meta_cases

pytestmark = pytest.mark.brian
META_MUTANTS = [f"meta_{m}" for m in MUTATIONS]    # registered by the plugin tests/mutants.py


# cython and cpp_standalone_omp (both dtypes) in the `deep` tests and the main job (tox -e matrix verifies every
# built-in on every CPU device); their Cython compile alone took 64 s of CI's command (`--profile`, cold cache)
DTYPE_DEVICES = [
    pytest.param("float64", ("numpy", "cpp_standalone"), id="float64"),
    pytest.param("float64", ("cython", "cpp_standalone_omp"), id="float64-cython-omp", marks=pytest.mark.deep),
    pytest.param("float32", ("numpy", "cpp_standalone"), id="float32"),
    pytest.param("float32", ("cython", "cpp_standalone_omp"), id="float32-cython-omp", marks=pytest.mark.deep),
]


@pytest.mark.parametrize("dtype,devices", DTYPE_DEVICES)
def test_metaplastic_passes_on_every_cpu_device(dtype, devices):
    cases = [c.replace(dtype=dtype) for c in meta_set(6)]    # real spike trains on >= 8x4 synapses (test_sets.py)
    result = run_matrix([], variants=["metaplastic_stdp"], dtypes=(dtype,), meta_cases=cases, devices=list(devices))
    assert not problems(result)
    for device in devices:
        passed = cells(result, "pass", device=device)
        assert len(passed) == len(cases)
        assert all(v.detection_limit for v in passed if v.case_id == "default")


def test_every_metaplastic_mutant_is_caught():
    cases = [default_meta_case()] + generate_meta_cases(10, 2)
    result = run_matrix([], variants=list(META_MUTANTS), devices=["numpy", "cpp_standalone"], meta_cases=cases)
    assert not cells(result, "error")
    for mutant in META_MUTANTS:
        for device in ("numpy", "cpp_standalone"):
            failed = cells(result, "fail", variant=mutant, device=device)
            assert any(v.case_id == "default" for v in failed), (mutant, device)


@pytest.mark.parametrize("dtype", ["float64", pytest.param("float32", marks=pytest.mark.deep)])
def test_defaultclock_build_is_bit_identical_to_the_own_clock_build(dtype):
    """The built-in moved its objects to defaultclock so that brian2cuda can compile it; on the CPU devices its
    results must not change by a single bit (against the former build, kept as a plugin variant). The cases are
    those of the matrix test above, so the built-in's standalone builds are that test's (one compile each)."""
    import numpy as np
    cases = list(meta_set(6))
    result = run_matrix([], variants=["metaplastic_stdp", "metaplastic_own_clocks"],
                        devices=["numpy", "cpp_standalone"],
                        dtypes=(dtype,), meta_cases=cases)
    assert not problems(result)
    arrays = {(j.variant.name, j.device, j.dtype, j.batch): j.arrays for j in result.jobs}
    pairs = 0
    for (variant, device, dtype, batch), a in arrays.items():
        if variant == "metaplastic_stdp":
            b = arrays[("metaplastic_own_clocks", device, dtype, batch)]
            assert set(a) == set(b)
            for k in a:
                assert np.array_equal(a[k], b[k]), (device, dtype, k)
            pairs += 1
    assert pairs >= 2
