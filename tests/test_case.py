import math

import pytest
from hypothesis import given

from brian2_harness.errors import CaseError, UsageError
from brian2_harness.families.growth.case import Case, default_case
from brian2_harness.families.growth.generate import cases

BASE = dict(n_pre=2, n_post=2, i=[0, 1], j=[1, 0], w0=[0.5, 0.25])


@pytest.mark.parametrize("change, field, words", [
    (dict(n_pre=0), "n_pre", "between 1"),
    (dict(n_post=-3), "n_post", "between 1"),
    (dict(n_pre=1.5), "n_pre", "integer"),
    (dict(i=[0, 2]), "i", "out of range [0, 1]"),
    (dict(j=[0, -1]), "j", "out of range"),
    (dict(j=[0]), "j", "same length"),
    (dict(w0=[0.5]), "w0", "same length"),
    (dict(w0=[0.5, math.nan]), "w0", "finite"),
    (dict(w0=[math.inf, 0.1]), "w0", "finite"),
    (dict(beta=0.0), "beta", "> 0"),
    (dict(beta=-1.0), "beta", "> 0"),
    (dict(beta=math.nan), "beta", "finite"),
    (dict(g=math.inf), "g", "finite"),
    (dict(dt=0.0), "dt", "> 0"),
    (dict(period=0.00015), "period", "multiple of dt"),
    (dict(duration=2.5), "duration", "multiple of period"),
    (dict(dtype="float16"), "dtype", "float64, float32"),
    (dict(w0=["x", 1]), "w0", "sequence of numbers"),
])
def test_each_bad_field_gets_its_own_message(change, field, words):
    with pytest.raises(CaseError) as info:
        Case(**{**BASE, **change})
    assert info.value.field == field
    assert words in str(info.value)
    assert str(info.value).startswith(f"case field '{field}'")


def test_resource_limit_is_named():
    with pytest.raises(CaseError, match="exceed the limit"):
        Case(n_pre=1, n_post=1, duration=1000.0, period=1.0, dt=1e-4)


def test_unknown_and_missing_fields_from_json():
    with pytest.raises(CaseError, match="unknown field"):
        Case.from_dict({**BASE, "colour": 1})
    with pytest.raises(CaseError, match="'n_post': is required"):
        Case.from_dict({"n_pre": 1})
    with pytest.raises(UsageError, match="not valid JSON"):
        Case.from_json("{nope")


@given(cases())
def test_json_round_trip_is_lossless(case):
    back = Case.from_json(case.to_json())
    assert back == case
    assert back.w0 == case.w0   # bit-exact floats


def test_default_case_shape():
    c = default_case()
    assert (c.n_pre, c.n_post, c.n_synapses, c.n_events) == (8, 4, 32, 3)
    assert c.steps_per_period == 10000
