"""Issue 35's probe with Brian2: a NaN reference against a finite device fails (exit 1), in both directions; the
same NaN on both devices agrees (the negative control: the fix does not turn every NaN into a failure)."""
import os

import pytest

from brian2_harness.cli import main

pytestmark = pytest.mark.brian
DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data", "nonfinite")
NANREF, FINITE = os.path.join(DATA, "nanref.py"), os.path.join(DATA, "finite.py")


def test_a_nan_reference_fails_against_a_finite_device_and_the_same_nan_agrees(capsys):
    assert main(["check", NANREF, "--devices", "numpy,cython", "--script-for", f"cython={FINITE}", "--quiet"]) == 1
    out = capsys.readouterr().out
    assert "FAIL" in out and "NaN or infinite on one side only" in out, out
    assert main(["check", FINITE, "--devices", "numpy,cython", "--script-for", f"cython={NANREF}", "--quiet"]) == 1
    assert "NaN or infinite on one side only" in capsys.readouterr().out
    assert main(["check", NANREF, "--devices", "numpy,cython", "--quiet"]) == 0
    assert "AGREE EXACTLY" in capsys.readouterr().out
