"""Results documents with a wrong field type are one usage line naming the field and the expected type, for every
reader (merge, report, junit), never a traceback and never a silently merged document."""
import copy
import json

import pytest
from brian2_harness.cli import main

CELL = dict(variant="v", device="numpy", dtype="float64", case_id="c1", verdict="pass")
GOOD = {"format": "brian2-harness-results/1", "status": "complete", "cells": [CELL], "seconds": 1.5,
        "summary": {"cells": 1, "pass": 1}}


def _doc(tmp_path, name, change):
    doc = copy.deepcopy(GOOD)
    change(doc)
    path = tmp_path / f"{name}.json"
    path.write_text(json.dumps(doc))
    return str(path)


BAD = {
    "seconds": (lambda d: d.update(seconds="x"), "'seconds' is string 'x', expected number or null"),
    "max_abs_err": (lambda d: d["cells"][0].update(max_abs_err="abc"), "cell 0: 'max_abs_err' is string"),
    "summary": (lambda d: d.update(summary=5), "'summary' is integer 5, expected object"),
    "summary_count": (lambda d: d["summary"].update(cells="many"), "'summary.cells' is string"),
    "sources": (lambda d: d.update(sources=[{"label": 3}]), "sources[0]: 'label' is integer 3, expected string"),
    "boundary": (lambda d: d["cells"][0].update(boundary=1.5), "'boundary' is number 1.5, expected integer"),
}


@pytest.mark.parametrize("field", sorted(BAD))
@pytest.mark.parametrize("command", ["merge", "report", "junit"])
def test_wrong_field_types_are_one_line(tmp_path, capsys, field, command):
    change, message = BAD[field]
    bad = _doc(tmp_path, "bad", change)
    good = _doc(tmp_path, "good", lambda d: d["cells"][0].update(case_id="c2"))
    argv = {"merge": ["merge", good, bad, "--out", str(tmp_path / "m.json")],
            "report": ["report", bad, "--out", str(tmp_path / "rep")],
            "junit": ["junit", bad, "--out", str(tmp_path / "j.xml")]}[command]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and message in err and "bad.json" in err, err
    assert not (tmp_path / "m.json").exists()


def test_a_well_typed_document_still_merges(tmp_path, capsys):
    a = _doc(tmp_path, "a", lambda d: d["cells"][0].update(max_abs_err=0, ratio=None, lag_visible=True))
    b = _doc(tmp_path, "b", lambda d: d["cells"][0].update(case_id="c2", max_abs_err=1e-9))
    assert main(["merge", a, b, "--out", str(tmp_path / "m.json")]) == 0
    assert main(["report", str(tmp_path / "m.json"), "--out", str(tmp_path / "rep")]) == 0
