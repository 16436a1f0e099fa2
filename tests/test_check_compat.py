"""The sandbox's adapters for older Brian2 releases (check/compat.py), without running Brian."""
import functools
import inspect

import pytest

from brian2_harness.check import compat


def _original(self, duration, report=None, report_period=10.0, namespace=None, profile=None, level=0):
    return duration


def _check_units_wrapper(f):          # brian2 < 2.10: check_units keeps the function in `_orig_func`
    def new_f(*args, **kwds):
        return f(*args, **kwds)
    new_f._orig_func = f
    return new_f


def _device_override_wrapper(f):      # ... and device_override wraps that with functools.wraps
    @functools.wraps(f)
    def wrapper(*args, **kwds):
        return f(*args, **kwds)
    return wrapper


def test_run_signature_of_a_plain_method():          # brian2 >= 2.10
    assert list(compat.run_signature(_original).parameters) == list(compat.RUN_PARAMETERS)


def test_run_signature_behind_the_pre_2_10_wrappers():
    wrapped = _device_override_wrapper(_check_units_wrapper(_original))
    assert "duration" not in inspect.signature(wrapped).parameters      # what made `check` fail before 2.10
    sig = compat.run_signature(wrapped)
    bound = sig.bind("net", 0.5, level=1)
    bound.apply_defaults()
    assert bound.arguments["duration"] == 0.5 and bound.arguments["report"] is None


def test_run_signature_without_any_duration_is_a_clear_error():
    def opaque(*args, **kwds):
        return None
    with pytest.raises(TypeError, match="duration"):
        compat.run_signature(opaque)


@pytest.mark.parametrize("template, states, call", [
    ("std::vector< RandomGenerator > _random_generators;", "_random_generators", compat.MODERN_SEED),
    ("std::vector< rk_state* > _mersenne_twister_states;", "_mersenne_twister_states", compat.LEGACY_SEED)])
def test_reseed_code_follows_the_generators_the_project_declares(template, states, call):
    assert compat.generator_states(template) == states
    code = compat.reseed_code("SEEDVAR", states)
    assert call in code and f"brian::{states}.size()" in code and '"SEEDVAR"' in code


def test_unknown_generators_are_named():
    with pytest.raises(ValueError, match="_random_generators"):
        compat.generator_states("int main() {}")


def test_installed_brian_is_recognised():
    assert compat.installed_generator_states() in ("_random_generators", "_mersenne_twister_states")


def test_draw_call_for_each_generator_kind():
    assert compat.draw_call("randn", "0", "_random_generators") == "brian::_random_generators[0].randn()"
    assert compat.draw_call("rand", "omp_get_thread_num()", "_mersenne_twister_states") == \
        "rk_double(brian::_mersenne_twister_states[omp_get_thread_num()])"
    assert compat.draw_call("randn", "0", "_mersenne_twister_states").startswith("rk_gauss(")
    with pytest.raises(ValueError, match="rand or randn"):
        compat.draw_call("poisson", "0", "_random_generators")
