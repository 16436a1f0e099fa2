"""Does a private Brian attribute a variant relies on still work? Probed in a fresh interpreter.

Assigning a private attribute never fails in Python, so a renamed `_clock` would be silent: the updater would stay
on the default clock. The probe (upgrade/probe_clock.py, run as a module) checks both that the object reports the
new clock and that a network schedules it (a 2 ms run advances it).
"""
from __future__ import annotations

import json
import subprocess
import sys

PROBES = {"_clock": "brian2_harness.upgrade.probe_clock"}


def probe_private_api(names, timeout: float = 300.0) -> dict:
    """For each private Brian attribute in `names`: does moving a summed updater with it still work here?

    Assigning a private attribute never fails in Python, so a renamed `_clock` would be silent: the updater
    would stay on the default clock. The probe checks both that the object reports the new clock and that a
    network schedules it (a 2 ms run advances it). Runs in a fresh interpreter (numpy target).
    """
    out = {}
    for name in sorted(set(names)):
        if name not in PROBES:
            out[name] = {"honoured": None, "detail": "no probe for this attribute"}
            continue
        try:
            proc = subprocess.run([sys.executable, "-m", PROBES[name]], capture_output=True, text=True,
                                  timeout=timeout, stdin=subprocess.DEVNULL)
            line = next((ln for ln in proc.stdout.splitlines() if ln.startswith("PROBE ")), None)
            out[name] = json.loads(line[6:]) if line else {
                "honoured": False, "detail": f"probe crashed (exit {proc.returncode}): {proc.stderr.strip()[-300:]}"}
        except subprocess.TimeoutExpired:
            out[name] = {"honoured": False, "detail": f"probe timed out after {timeout:g} s"}
    return out


