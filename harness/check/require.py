"""Devices that must run: with `--require DEV,...` (or the pytest plugin's option), a required device that did not
run (unavailable, skipped by Brian, or only built because there is no GPU) makes the script FAIL instead of
being a skip; a built device is never a pass."""
from __future__ import annotations

from ..verdicts import AGREE, AGREE_STAT, BUILT, ERROR, FAIL, REFERENCE, SKIP
from .verdict import CheckResult, DeviceVerdict

RAN = (AGREE, AGREE_STAT, FAIL, REFERENCE)      # verdicts of a device that ran (FAIL: ran and differed)


def not_run(result: CheckResult, required) -> dict[str, str]:
    """Required device -> why it did not run (empty when every required device ran)."""
    out = {}
    for d in required:
        v = result.devices.get(d)
        if v is None:
            out[d] = "not among the checked devices"
        elif v.verdict not in RAN and v.verdict != ERROR:
            out[d] = f"{v.verdict}: {v.reason}"
    return out


def apply_required(result: CheckResult, required) -> CheckResult:
    """Turn a required device that did not run into a failure of that device and of the script."""
    missing = not_run(result, required)
    result.required_missing = sorted(missing)
    for d, why in missing.items():
        result.devices[d] = DeviceVerdict(d, FAIL, f"required device did not run ({why})")
    if missing and result.verdict in (AGREE, AGREE_STAT, BUILT, SKIP):
        agreed = result.verdict in (AGREE, AGREE_STAT)      # what did run still agreed: say so
        result.verdict = FAIL
        result.reason = "; ".join(f"required device {d} did not run ({why})" for d, why in missing.items()) + \
            (f"; {result.reason}" if agreed and result.reason else "")
    return result
