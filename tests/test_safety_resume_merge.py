"""`run --resume` reruns every job whose cells are missing from the partial document, whatever its job list says;
`merge` refuses shards that ran different Brian2/numpy/Python versions; check documents with wrong field types are
one line (exit 2) in `report`, `junit` and `merge`. No Brian run: jobs and documents are built by hand."""
import json
from types import SimpleNamespace as NS

import pytest

from brian2_harness.cli import main
from brian2_harness.reports.results import RESULTS_FORMAT
from brian2_harness.run.resume import Resume

JOBS = [NS(variant=NS(name="v"), device=d, dtype="float64", batch=b, case_ids=[f"c{b}"])
        for d in ("numpy", "cpp_standalone") for b in (0, 1)]


def _cell(j, cid) -> dict:
    return {"variant": j.variant.name, "device": j.device, "dtype": j.dtype, "case_id": cid, "verdict": "pass"}


def _previous(cells_of) -> dict:
    jobs = [{"variant": "v", "device": j.device, "dtype": j.dtype, "batch": j.batch, "cases": j.case_ids,
             "error": ""} for j in JOBS]
    return {"jobs": jobs, "cells": [_cell(j, c) for j in cells_of for c in j.case_ids]}


def test_resume_reruns_jobs_whose_cells_are_missing_though_the_job_list_has_them():
    r = Resume(_previous(JOBS[:2]))                      # the cpp_standalone jobs' cells were cut out
    chosen, _ = r.select(JOBS, [])
    picked = {(j.device, j.batch) for j in chosen}
    assert {("cpp_standalone", 0), ("cpp_standalone", 1)} <= picked     # rerun, with their numpy peers
    assert {(j.device, j.batch) for j in JOBS if id(j) in r.mine} == {("cpp_standalone", 0), ("cpp_standalone", 1)}
    r = Resume(_previous(JOBS))                          # control: every cell there, nothing reruns
    assert r.select(JOBS, []) == ([], [])


def _shard(k: int, brian2: str) -> dict:
    plan = [["v", "numpy", "float64", 0, ["c0"]], ["v", "numpy", "float64", 1, ["c1"]]]
    cell = {"variant": "v", "device": "numpy", "dtype": "float64", "case_id": f"c{k - 1}", "verdict": "pass"}
    return {"format": RESULTS_FORMAT, "status": "complete", "config": {"seed": 1}, "summary": {"cells": 1},
            "environment": {"brian2": brian2, "numpy": "2.0", "python": "3.12.1", "platform": f"host{k}"},
            "cells": [cell], "jobs": [],
            "shard": {"k": k, "n": 2, "plan": plan, "states": [["v", "numpy", "float64", k - 1, "result"]],
                      "reference_variants": [], "skipped": []}}


@pytest.mark.parametrize("field,other", [("brian2", "2.9.0"), ("numpy", "1.26.4"), ("python", "3.11.9")])
def test_merge_refuses_shards_of_different_environments(tmp_path, capsys, field, other):
    a, b, out = tmp_path / "s1.json", tmp_path / "s2.json", tmp_path / "all.json"
    a.write_text(json.dumps(_shard(1, "2.10.1")))
    b.write_text(json.dumps(_shard(2, "2.10.1")))
    assert main(["merge", str(a), str(b), "--out", str(out)]) == 0      # control: one environment (hosts differ)
    assert len(json.loads(out.read_text())["cells"]) == 2
    out.unlink()
    bad = _shard(2, "2.10.1")
    bad["environment"][field] = other
    b.write_text(json.dumps(bad))
    assert main(["merge", str(a), str(b), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "different environments" in err and f", {other} in" in err and f"{field} " in err
    assert not out.exists()


CHECK_DOC = {"format": "brian2-harness-check/1", "status": "complete", "environment": {}, "config": {},
             "summary": {"agree": 1, "scripts": 1}, "required_missing": [],
             "scripts": [{"script": "m.py", "verdict": "agree", "label": "AGREE", "reason": "", "mode": "exact",
                          "reference": "numpy", "seconds": 0.1, "notes": [], "random_sources": [],
                          "required_missing": [], "status": "complete",
                          "devices": {"numpy": {"verdict": "reference", "reason": "", "seconds": 0.1}}}]}
WRONG = {"seconds a string": (lambda d: d["scripts"][0].update(seconds="x"), "'seconds' is string"),
         "summary a number": (lambda d: d.update(summary=5), "'summary' is integer 5, expected object"),
         "device seconds a string": (lambda d: d["scripts"][0]["devices"]["numpy"].update(seconds="x"),
                                     "device 'numpy': 'seconds' is string"),
         "notes an object": (lambda d: d["scripts"][0].update(notes={}), "'notes' is object"),
         "nested 200,000 deep": (None, "nested too deeply")}


@pytest.mark.parametrize("wrong", list(WRONG))
@pytest.mark.parametrize("command", ["report", "junit", "merge"])
def test_a_check_document_with_wrong_field_types_is_one_line(tmp_path, capsys, wrong, command):
    doc, path = json.loads(json.dumps(CHECK_DOC)), tmp_path / "check.json"
    args = {"report": ["report", str(path), "--out", str(tmp_path / "r")],
            "junit": ["junit", str(path), "--out", str(tmp_path / "j.xml")],
            "merge": ["merge", str(path), "--out", str(tmp_path / "m.json")]}[command]
    path.write_text(json.dumps(doc))
    assert main(args) == 0                                  # control: the well-formed document is read
    capsys.readouterr()
    change, message = WRONG[wrong]
    if change is None:
        path.write_text("[" * 200_000 + "]" * 200_000)
    else:
        change(doc)
        path.write_text(json.dumps(doc))
    assert main(args) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and message in err and "Traceback" not in err


def test_a_corpus_baseline_whose_array_header_claims_2_gib_is_one_line(tmp_path):
    import io
    import zipfile

    import numpy as np

    from brian2_harness.errors import UsageError
    from brian2_harness.upgrade.baseline import load_baseline
    path = tmp_path / "b.npz"
    np.savez(path, x=np.zeros(3))
    with pytest.raises(UsageError, match="without a manifest"):      # control: a sound archive gets further
        load_baseline(path)
    head = io.BytesIO()
    np.lib.format.write_array_header_1_0(head, {"descr": "<f8", "fortran_order": False, "shape": (2**28,)})
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("manifest.npy", head.getvalue() + b"\0" * 80)
    with pytest.raises(UsageError, match="claims 2147483648 bytes"):
        load_baseline(path)


def test_a_case_file_nested_200000_deep_is_one_line(tmp_path, capsys):
    path = tmp_path / "cases.json"
    path.write_text("[" * 200_000 + "]" * 200_000)
    assert main(["run", "--case-file", str(path), "--devices", "numpy", "--quiet"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "nested too deeply" in err
