"""`brian2-harness fuzz` on bad input: one line naming the option and what it allows, exit 2, nothing run."""
from __future__ import annotations

import pytest

from brian2_harness.cli import main


@pytest.mark.parametrize("argv,needle", [
    (["--devices", "numpy,fpga"], "--devices: unknown device 'fpga' (allowed: numpy, cython, cpp_standalone"),
    (["--devices", "numpy"], "--devices: name at least two devices"),
    (["--budget", "0"], "--budget: minutes must be a positive number"),
    (["--budget", "soon"], "--budget"),
    (["--pack", "0"], "--pack: models per script must be at least 1"),
    (["--features", "warp=1"], "--features: unknown feature 'warp' (allowed: int_vars"),
    ([], "--out: a folder for the findings"),
    (["--replay", "/nonexistent/fuzz"], "--replay: '/nonexistent/fuzz' holds no findings/"),
])
def test_bad_input_is_one_line_and_exit_2(argv, needle, capsys, tmp_path):
    argv = argv + (["--out", str(tmp_path / "out")] if argv and "--replay" not in argv else [])
    assert main(["fuzz", *argv]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and needle in err, err
    assert not (tmp_path / "out").exists()


def test_fuzz_is_registered_with_its_options():
    from brian2_harness.cli import COMMANDS, build_parser
    assert "fuzz" in COMMANDS
    text = build_parser().parse_args(["fuzz", "--out", "x", "--budget", "2", "--seed", "3"])
    assert (text.budget, text.seed, text.devices) == (2.0, 3, "numpy,cython,cpp_standalone")


def test_store_restore_needs_a_runtime_device_beside_the_reference():
    """A store/restore pack on numpy + standalone devices only would be compared on no device: the campaign turns
    the feature off (and says so); with cython or a runtime device of another release it stays."""
    from brian2_harness.fuzz.command import runtime_beside_reference
    assert not runtime_beside_reference(["numpy", "cpp_standalone", "cpp_standalone@2.9.0"])
    assert runtime_beside_reference(["numpy", "cpp_standalone", "cython"])
    assert runtime_beside_reference(["numpy", "cpp_standalone", "numpy@2.9.0", "cpp_standalone@2.9.0"])
