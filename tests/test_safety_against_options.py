"""`check --against DIR` takes the options stored in the baseline through the command line's validation (one line
naming the field and the allowed values, exit 2, before anything runs), names every device it could not compare,
and is no agreement when fewer than two devices were compared (as `check`)."""
import json
import shutil

import pytest
from test_safety_records import CALLS, _record, _script, fake_devices  # noqa: F401  (fixture)

from brian2_harness.cli import main

pytestmark = pytest.mark.usefixtures("fake_devices")

BAD = [
    ("seeds", 100_000_000, "options.seeds must be an integer from 2 to 10000"),
    ("devices", ["foo", "numpy"], "options.devices: unknown device 'foo' (known: numpy,"),
    ("alpha", 1.0, "options.alpha must be in (0, 1)"),
    ("mode", "bogus", "options.mode must be one of auto, exact, stat"),
    ("seed", -1, "options.seed must be an integer from 0 to"),
    ("devices", ["numpy"], "options.devices: name at least two devices"),
    ("cap", "long", "options.cap must be a duration in seconds"),
    ("reference", "cython_x", "options.reference must be one of the devices"),
]


def _set_options(base, **options) -> None:
    for path in base.glob("*/*/record.json"):
        head = json.loads(path.read_text())
        head["options"].update(options)
        path.write_text(json.dumps(head))


@pytest.mark.parametrize("field,value,message", BAD, ids=[f"{f}={v}" for f, v, _ in BAD])
def test_a_bad_recorded_option_is_one_usage_error_before_the_run(tmp_path, capsys, field, value,
                                                                 message):
    script, base = _script(tmp_path), tmp_path / "base"
    assert _record(script, base) == 0
    assert main(["check", str(script), "--against", str(base), "--quiet"]) == 0    # control: as recorded, agrees
    CALLS.clear()
    capsys.readouterr()
    _set_options(base, **{field: value})
    assert main(["check", str(script), "--against", str(base), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and message in err and "record.json" in err
    assert CALLS == []                                                  # nothing ran


@pytest.mark.parametrize("option,value,message", [("--seeds", "100000000", "--seeds must be an integer from 2"),
                                                  ("--seed", "-1", "--seed must be an integer from 0"),
                                                  ("--alpha", "1.0", "--alpha must be in (0, 1)")])
def test_the_command_line_uses_the_same_validation(tmp_path, capsys, option, value, message):
    assert main(["check", str(_script(tmp_path)), "--devices", "numpy,cython", option, value, "--quiet"]) == 2
    assert message in capsys.readouterr().err and CALLS == []


def test_every_device_not_compared_is_named_and_one_device_is_no_agreement(tmp_path, capsys):
    script, base = _script(tmp_path), tmp_path / "base"
    assert main(["check", str(script), "--devices", "numpy,cython,cpp_standalone", "--record", str(base),
                 "--quiet"]) == 0
    shutil.rmtree(base / "model" / "cpp_standalone")       # runs now (the recorded devices), has no record
    shutil.copytree(base / "model" / "cython", base / "model" / "cuda_standalone")   # recorded, not run now
    head = json.loads((base / "model" / "cuda_standalone" / "record.json").read_text())
    head["device"] = "cuda_standalone"
    (base / "model" / "cuda_standalone" / "record.json").write_text(json.dumps(head))
    capsys.readouterr()
    assert main(["check", str(script), "--against", str(base), "--quiet"]) == 0    # numpy, cython: still two
    out = capsys.readouterr().out
    assert "cpp_standalone       skip         ran now, but the baseline has no record of it" in out
    assert "cuda_standalone      skip         in the baseline, not run now" in out
    shutil.rmtree(base / "model" / "cython")
    assert main(["check", str(script), "--against", str(base), "--quiet"]) == 1    # one device compared: fails
    out = capsys.readouterr().out
    assert "against the baseline: SKIP" in out and "1 device(s) compared with the baseline, at least 2 needed" in out
    assert "cython: ran now, but the baseline has no record" in out and "cpp_standalone: ran now" in out
