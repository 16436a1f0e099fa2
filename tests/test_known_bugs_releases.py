"""ci/known_bugs_releases.py without Brian: the devices of one check (reference, the device here, the device under
every affected and fixed release), the judgement of a check document (an affected release must differ, a fixed one
agree; a release that did not run is a mismatch), every script of its table present, bad --only refused."""
import importlib.util
from pathlib import Path

import pytest

CI = Path(__file__).resolve().parent.parent / "ci"
_SPEC = importlib.util.spec_from_file_location("known_bugs_releases", CI / "known_bugs_releases.py")
kb = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(kb)


def test_devices_of_one_check():
    assert kb.devices_of("cython", ["2.9.0"], ["2.10.0", "2.8.0.4"]) == \
        ["numpy", "cython", "cython@2.9.0", "cython@2.10.0", "cython@2.8.0.4"]
    assert kb.devices_of("cython", ["2.11.0", "here"], ["2.8.0.4"], "numpy@2.9.0") == \
        ["numpy@2.9.0", "cython", "cython@2.11.0", "cython@2.8.0.4"]


def _doc(verdicts: dict) -> dict:
    return {"scripts": [{"devices": {d: {"verdict": v, "reason": "r"} for d, v in verdicts.items()}}]}


def test_judge_affected_differs_fixed_agrees_and_absent_is_a_mismatch():
    rows = kb.judge(_doc({"cpp_standalone@2.5.4": "fail", "cpp_standalone@2.6.0": "agree", "cpp_standalone": "agree"}),
                    "cpp_standalone", ["2.5.4"], ["2.6.0"])
    assert [(r["release"], r["ok"]) for r in rows] == [("2.5.4", True), ("2.6.0", True), ("here", True)]
    # a bug this environment has too: "here" among the affected releases, judged as one
    rows = kb.judge(_doc({"cython@2.11.0": "fail", "cython": "fail", "cython@2.8.0.4": "agree"}), "cython",
                    ["2.11.0", "here"], ["2.8.0.4"])
    assert [(r["release"], r["ok"]) for r in rows] == [("2.11.0", True), ("here", True), ("2.8.0.4", True)]
    # negative controls: the affected release agrees, the fixed one errors, a release that did not run (skip/absent)
    rows = kb.judge(_doc({"cpp_standalone@2.5.4": "agree", "cpp_standalone@2.6.0": "error"}), "cpp_standalone",
                    ["2.5.4"], ["2.6.0"])
    assert [r["ok"] for r in rows] == [False, False, False]
    rows = kb.judge(_doc({"cpp_standalone@2.5.4": "skip"}), "cpp_standalone", ["2.5.4"], ["2.6.0"])
    assert [(r["verdict"], r["ok"]) for r in rows] == [("skip", False), ("missing", False), ("missing", False)]
    assert "**MISMATCH**" in kb.table([dict(script="s", device="d", issue="#1", rows=rows)])
    # a script that runs on standalone only: the device here is the reference the releases are compared with
    rows = kb.judge(_doc({"cpp_standalone@2.6.0": "fail", "cpp_standalone": "reference"}), "cpp_standalone",
                    ["2.6.0"], [])
    assert [r["ok"] for r in rows] == [True, True]
    rows = kb.judge(_doc({"cython@2.11.0": "fail", "cython": "reference"}), "cython", ["2.11.0", "here"], [])
    assert [r["ok"] for r in rows] == [True, False]        # an affected device here must differ, not be the reference


def test_every_reproducer_of_the_table_exists():
    for script, device, *_ in kb.TABLE:
        assert (kb.KNOWN_BUGS / f"{script}.py").is_file(), script


def test_unknown_script_is_refused(tmp_path):
    with pytest.raises(SystemExit, match="--only: unknown script"):
        kb.main(["--only", "nosuch", "--out", str(tmp_path)])
