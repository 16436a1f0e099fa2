"""check's versioned JSON document and what reads it (report, junit, merge), and --require, without Brian:
check results are built from stored-style observables (tests/check_docs.py)."""
import json
import xml.etree.ElementTree as ET

import pytest
from check_docs import check_result, document

from brian2_harness.check.document import CHECK_FORMAT
from brian2_harness.check.require import apply_required
from brian2_harness.cli import main


def write(tmp_path, name, doc):
    path = tmp_path / name
    path.write_text(json.dumps(doc, default=str))
    return str(path)


def test_document_is_versioned_with_environment_and_structured_first_difference():
    doc = document(check_result(differ=True), check_result("/m/ok.py"))
    assert doc["format"] == CHECK_FORMAT == "brian2-harness-check/1"
    assert {"python", "numpy", "brian2", "cython", "compiler"} <= set(doc["environment"])
    assert doc["summary"] == {"agree": 1, "agree_stat": 0, "fail": 1, "error": 0, "skip": 0, "built": 0,
                              "interrupted": 0, "scripts": 2}
    first = doc["scripts"][0]["devices"]["cpp_standalone"]["first_difference"]
    assert (first["observable"], first["index"], first["unit"]) == ("statemonitor.v", 1, "V")
    assert first["time"] == pytest.approx(0.005)
    assert first["device_value"] - first["reference_value"] == pytest.approx(1e-3)
    assert len(first["window"]["t"]) == len(first["window"]["device"]) > 10       # both traces, for the plot
    ok = doc["scripts"][1]["devices"]["cpp_standalone"]
    assert ok["first_difference"] is None
    v = next(h for h in ok["headroom"] if h["observable"] == "statemonitor.v")
    assert 0 < v["ratio"] < 1 and v["bound"] > v["max_difference"] > 0


def test_spike_difference_keeps_both_rasters():
    doc = document(check_result(extra_spike=True))
    first = doc["scripts"][0]["devices"]["cpp_standalone"]["first_difference"]
    assert (first["observable"], first["index"], first["time"]) == ("spikemonitor", 2, 0.012)
    assert len(first["window"]["device"]["t"]) == len(first["window"]["reference"]["t"]) + 1


def test_report_junit_and_merge_read_the_check_document(tmp_path, capsys):
    failing = write(tmp_path, "cpu.json", document(check_result(differ=True), check_result("/m/ok.py")))
    gpu = write(tmp_path, "gpu.json", document(check_result("/m/b.py", built="cuda_standalone")))
    assert main(["report", failing, "--out", str(tmp_path / "rep")]) == 0
    html = (tmp_path / "rep" / "index.html").read_text()
    assert 'alt="first difference of cpp_standalone in my_model.py"' in html and 'alt="headroom of ok.py"' in html
    assert "device value -0.069 V vs reference value -0.07 V" in html
    assert "&lt;span" not in html
    assert "statemonitor.v, index 1, t = 5 ms" in (tmp_path / "rep" / "summary.md").read_text()
    assert main(["junit", failing, "--out", str(tmp_path / "j.xml")]) == 0
    root = ET.parse(tmp_path / "j.xml").getroot()
    assert (root.get("tests"), root.get("failures")) == ("4", "1")
    case = root.find(".//testcase[@name='my_model.py[cpp_standalone]']")
    props = {p.get("name"): p.get("value") for p in case.find("properties")}
    assert props["verdict"] == "fail" and props["mode"] == "exact" and props["seeds"] == "0"
    assert props["first_difference.observable"] == "statemonitor.v" and case.find("failure") is not None
    assert main(["merge", failing, gpu, "--out", str(tmp_path / "all.json")]) == 0
    merged = json.loads((tmp_path / "all.json").read_text())
    assert merged["format"] == CHECK_FORMAT and merged["summary"]["scripts"] == 3
    assert [s["source"] for s in merged["scripts"]] == ["cpu", "cpu", "gpu"]
    assert main(["junit", str(tmp_path / "all.json"), "--out", str(tmp_path / "all.xml")]) == 0
    built = ET.parse(tmp_path / "all.xml").getroot().find(".//testcase[@name='b.py (gpu)[cuda_standalone]']")
    assert "built only" in built.find("skipped").get("message")


@pytest.mark.parametrize("content, words", [
    ([{"script": "x.py", "verdict": "agree"}], "older brian2-harness"),
    ({"format": "brian2-harness-check/9", "scripts": []}, "not supported"),
    ({"format": CHECK_FORMAT, "scripts": [{"script": "x.py", "verdict": "great", "devices": {}}]}, "verdict 'great'"),
    ({"format": CHECK_FORMAT, "scripts": [{"script": "x.py", "verdict": "fail", "devices": {
        "numpy": {"verdict": "fail", "first_difference": {"observable": "v"}}}}]}, "lacks 'index'"),
])
def test_bad_check_documents_are_one_line_usage_errors(tmp_path, capsys, content, words):
    path = write(tmp_path, "bad.json", content)
    assert main(["report", path, "--out", str(tmp_path / "r")]) == 2
    assert words in capsys.readouterr().err


def test_merge_refuses_to_mix_run_results_and_check_documents(tmp_path, capsys):
    from test_reports import make_results
    run_doc = write(tmp_path, "run.json", make_results())
    check_doc = write(tmp_path, "check.json", document(check_result()))
    assert main(["merge", run_doc, check_doc, "--out", str(tmp_path / "m.json")]) == 2
    assert "mix" in capsys.readouterr().err


def test_required_device_that_was_only_built_fails_the_script():
    """Negative control for --require: a device that did not run (only built, no GPU) is a failure, not a skip."""
    r = apply_required(check_result("/m/b.py", built="cuda_standalone"), ["cuda_standalone"])
    assert r.verdict == "fail" and r.required_missing == ["cuda_standalone"]
    assert r.devices["cuda_standalone"].verdict == "fail" and "built, not run" in r.devices["cuda_standalone"].reason
    r = apply_required(check_result("/m/ok.py"), ["cpp_standalone"])        # it ran: nothing changes
    assert r.verdict == "agree" and r.required_missing == []
    plain = check_result("/m/b.py", built="cuda_standalone")                 # not required: built, never a pass
    assert plain.devices["cuda_standalone"].verdict == "built"


def test_require_names_a_device_outside_devices_as_a_usage_error(tmp_path, capsys):
    script = tmp_path / "m.py"
    script.write_text("pass\n")
    assert main(["check", str(script), "--devices", "numpy,cython", "--require", "cuda_standalone"]) == 2
    assert "--require: device 'cuda_standalone' is not among --devices" in capsys.readouterr().err


def test_check_knows_the_catalogs_devices_cuda_included(tmp_path, capsys):
    from brian2_harness.check.script import known_devices, probe
    from brian2_harness.devices import all_devices
    assert known_devices() == [d.name for d in all_devices()] and "cuda_standalone" in known_devices()
    assert probe("numpy") == ("run", "always available")
    assert probe("nonsense")[0] == "unavailable"
    script = tmp_path / "m.py"
    script.write_text("pass\n")
    assert main(["check", str(script), "--devices", "numpy,nonsense"]) == 2
    err = capsys.readouterr().err
    assert "unknown device 'nonsense'" in err and "cuda_standalone" in err


def test_markdown_alone_is_written_without_a_report_folder(tmp_path):
    from brian2_harness.cli.check_outputs import write_outputs
    doc = document(check_result(differ=True))
    write_outputs(doc, json_out=str(tmp_path / "c.json"), markdown_out=str(tmp_path / "s.md"))
    text = (tmp_path / "s.md").read_text()
    assert "## FAIL /models/my_model.py" in text and "statemonitor.v, index 1, t = 5 ms" in text
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c.json", "s.md"]
    assert json.loads((tmp_path / "c.json").read_text())["format"] == CHECK_FORMAT
