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
GROSS = os.path.join(HERE, "gross_mutants.py")


@pytest.fixture(scope="session")
def cache_dir(tmp_path_factory):
    """Build folders of this test session; the Cython cache is shared with the user's (it is locked)."""
    from brian2_harness.run import default_cache_dir
    return default_cache_dir()


# --- tally: how many cases and cells the Brian tests verified (printed at the end of the session) -------------
TALLY_ENV = "BRIAN2_HARNESS_TEST_TALLY"


def pytest_configure(config):
    if not hasattr(config, "workerinput"):            # the controller (or a run without xdist)
        import tempfile
        os.environ[TALLY_ENV] = tempfile.mkdtemp(prefix="brian2-harness-tally-")
        # Tests build in temporary cache dirs for isolation; the content-addressed compiled code (Cython extensions)
        # is shared by the whole session, so an extension compiles once.
        from brian2_harness.plumbing.cachedirs import COMPILED_VAR
        from brian2_harness.run import default_cache_dir
        os.environ.setdefault(COMPILED_VAR, str(default_cache_dir()))


def pytest_terminal_summary(terminalreporter):
    import glob
    import json
    folder = os.environ.get(TALLY_ENV)
    if not folder:
        return
    total = {"runs": 0, "cases": 0, "cells": 0, "pass": 0, "fail": 0}
    for path in glob.glob(os.path.join(folder, "*.jsonl")):
        with open(path) as f:
            for line in f:
                row = json.loads(line)
                for k in total:
                    total[k] += row.get(k, 0)
    if total["runs"]:
        terminalreporter.write_line(
            f"brian2-harness verified {total['cells']} cells over {total['cases']} distinct cases in "
            f"{total['runs']} matrix runs ({total['pass']} pass, {total['fail']} fail: failures are the negative "
            f"controls' expected ones)")

