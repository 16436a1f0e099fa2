"""A script that keeps no monitor and binds no numeric result gives nothing to compare: its verdict is skip with
that reason, never "agree" (it was AGREE EXACTLY, "agrees within the noise floor: " and nothing after, once
imported unit constants were no longer taken as results). No Brian: a fake runner stands in for the devices."""
from __future__ import annotations

import numpy as np
import pytest

from brian2_harness.check.script import DeviceRun, SeedRun
from brian2_harness.check.verdict import check
from brian2_harness.verdicts import FAIL, OK, REFERENCE, SKIP

OBS = {"M.v": {"kind": "value", "dt": None, "unit": "V", "N": None, "arrays": {"values": np.ones(3)}}}


def runner_of(has: dict):
    """device -> whether its runs hold an observable (and statistics)."""
    def runner(script, device, seeds, *, stat=False, perturb=0, **kwargs):
        full = has[device]
        runs = [SeedRun(s, OK, "", dict(OBS) if full and not stat else {}, {"t_end": 0.01, "notes": []}, "",
                        {"M.v: mean": ("scalar", 1.0, "V")} if full else {}) for s in seeds]
        return DeviceRun(device, OK, "", runs)
    return runner


@pytest.mark.parametrize("mode", ["auto", "exact", "stat"])
def test_nothing_on_either_side_is_a_skip_that_says_so(tmp_path, mode):
    result = check(str(tmp_path / "m.py"), ["numpy", "cython"], mode=mode, seeds=2,
                   runner=runner_of({"numpy": False, "cython": False}))
    assert result.devices["numpy"].verdict == REFERENCE
    assert result.devices["cython"].verdict == SKIP and result.verdict == SKIP
    assert "nothing to compare" in result.devices["cython"].reason and "--observe" in result.reason
    assert "only numpy ran" not in result.reason


def test_negative_control_a_result_on_one_side_only_is_a_difference(tmp_path):
    result = check(str(tmp_path / "m.py"), ["numpy", "cython"], mode="exact",
                   runner=runner_of({"numpy": False, "cython": True}))
    assert result.devices["cython"].verdict == FAIL
