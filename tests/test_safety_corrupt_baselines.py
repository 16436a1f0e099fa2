"""A corrupt baseline is one line and exit 2 in `check --against` and `history`, and one line failing the item in
the pytest plugin: never a traceback, never a huge allocation, never a file outside the record read."""
import io
import json
import zipfile

import numpy as np
import pytest
from test_safety_records import SCRIPT, _record, _script, fake_devices  # noqa: F401  (fixture)

from brian2_harness.cli import main

pytest_plugins = ["pytester"]
NUMPY = "model/numpy"


def _huge_npz(path) -> None:
    """observables.npz whose first array's header claims 2 GiB (268,435,456 float64) over 80 bytes of data."""
    with zipfile.ZipFile(path) as z:
        members = {n: z.read(n) for n in z.namelist()}
    first = sorted(members)[0]
    head = io.BytesIO()
    np.lib.format.write_array_header_1_0(head, {"descr": "<f8", "fortran_order": False, "shape": (2**28,)})
    members[first] = head.getvalue() + b"\0" * 80
    with zipfile.ZipFile(path, "w") as z:
        for name, data in members.items():
            z.writestr(name, data)


def _set(path, **fields) -> None:
    head = json.loads(path.read_text())
    head.update(fields)
    path.write_text(json.dumps(head))


CORRUPTIONS = {
    "truncated record.json": lambda b: (b / NUMPY / "record.json").write_text(
        (b / NUMPY / "record.json").read_text()[:40]),
    "empty record.json": lambda b: (b / NUMPY / "record.json").write_text(""),
    "truncated meta.json": lambda b: (b / NUMPY / "seed-0" / "meta.json").write_text('{"seed": 0, "obs'),
    "empty meta.json": lambda b: (b / NUMPY / "seed-0" / "meta.json").write_text(""),
    "truncated npz": lambda b: (b / NUMPY / "seed-0" / "observables.npz").write_bytes(
        (b / NUMPY / "seed-0" / "observables.npz").read_bytes()[:100]),
    "wrong format version": lambda b: _set(b / NUMPY / "record.json", format="brian2-harness-script-record/9"),
    "symlink to a system file": lambda b: ((b / NUMPY / "record.json").unlink(),
                                           (b / NUMPY / "record.json").symlink_to("/etc/passwd")),
    "array header claiming 2 GiB": lambda b: _huge_npz(b / NUMPY / "seed-0" / "observables.npz"),
    "JSON nested 200,000 deep": lambda b: (b / NUMPY / "record.json").write_text("[" * 200_000 + "]" * 200_000),
    "t_end a string": lambda b: _set(b / NUMPY / "record.json", t_end="x"),
    "statistics not an object": lambda b: (b / NUMPY / "seed-0" / "statistics.json").write_text("5"),
}
MESSAGE = {"symlink to a system file": "is a symlink", "array header claiming 2 GiB": "claims 2147483648 bytes",
           "JSON nested 200,000 deep": "nested too deeply", "wrong format version": "expected 'brian2-harness",
           "t_end a string": "'t_end' is str", "empty record.json": "is empty", "empty meta.json": "is empty"}


@pytest.fixture
def recorded(tmp_path, fake_devices):  # noqa: F811
    script, base = _script(tmp_path), tmp_path / "base"
    assert _record(script, base) == 0
    return script, base


def _one_line(capsys, expect: str) -> None:
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err and err.startswith("brian2-harness: error: baseline")
    assert expect in err


@pytest.mark.parametrize("corruption", list(CORRUPTIONS))
def test_a_corrupt_baseline_is_one_line_in_against_and_history(recorded, capsys, corruption):
    script, base = recorded
    assert main(["check", str(script), "--against", str(base), "--quiet"]) == 0     # control: intact, it agrees
    other = base.parent / "other"
    assert _record(script, other) == 0
    capsys.readouterr()
    CORRUPTIONS[corruption](base)
    assert main(["check", str(script), "--against", str(base), "--quiet"]) == 2
    _one_line(capsys, MESSAGE.get(corruption, "record.json" if "record" in corruption else ""))
    assert main(["history", str(other), str(base)]) == 2
    _one_line(capsys, MESSAGE.get(corruption, ""))


@pytest.mark.parametrize("corruption", ["truncated npz", "array header claiming 2 GiB", "JSON nested 200,000 deep"])
def test_a_corrupt_baseline_fails_the_plugin_item_with_one_line(pytester, fake_devices, corruption):  # noqa: F811
    from test_script_baseline import fake_run_device

    from brian2_harness.check import pytest_plugin
    real = pytest_plugin.cached_runner
    pytester.makepyfile(model=SCRIPT, test_model="""
        import pytest

        @pytest.mark.brian2_devices("numpy", "cython")
        def test_model(brian2_check):
            brian2_check("model.py")
    """)
    (pytester.path / "model.py").write_text("GAIN = 1.0\nOFFSET = {}\n")
    pytest_plugin.cached_runner = lambda folder, run=None: real(folder, fake_run_device)
    try:
        base = pytester.path / "base"
        args = ("-p", "no:cacheprovider", "--brian2-baseline", str(base))
        pytester.runpytest_inprocess(*args).assert_outcomes(failed=2)         # recorded now
        pytester.runpytest_inprocess(*args).assert_outcomes(passed=2)         # control: intact, it agrees
        CORRUPTIONS[corruption](base)
        res = pytester.runpytest_inprocess(*args)
    finally:
        pytest_plugin.cached_runner = real
    res.assert_outcomes(failed=1, passed=1)        # numpy's baseline is broken, cython's is not
    out = res.stdout.str()
    assert "--brian2-baseline: baseline file" in out and "Traceback" not in out and "UsageError" not in out
