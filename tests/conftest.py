import os

import pytest
from hypothesis import HealthCheck, Verbosity, settings

# Profiles: `ci` is derandomized (same examples every run) and prints the reproduction blob on failure;
# `dev` explores randomly. Select with HYPOTHESIS_PROFILE (tox sets ci).
settings.register_profile("ci", derandomize=True, deadline=None, print_blob=True, database=None,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
settings.register_profile("dev", deadline=None, print_blob=True, verbosity=Verbosity.normal,
                          suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))

HERE = os.path.dirname(__file__)
MUTANTS = os.path.join(HERE, "mutants.py")


@pytest.fixture(scope="session")
def cache_dir(tmp_path_factory):
    """Build folders of this test session; the Cython cache is shared with the user's (it is locked)."""
    from brian2_harness.matrix import default_cache_dir
    return default_cache_dir()
