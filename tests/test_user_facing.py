"""What users trip over: markup in printed data, artifact file modes, doctor in other environments,
readable JUnit, the CI job summary."""
import argparse
import io
import json
import os
import re
import stat
import tomllib
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from rich.console import Console

from brian2_harness.cells.verdict import FAIL, PASS, Verdict
from brian2_harness.cli import main
from brian2_harness.devices import UNAVAILABLE, Probe, get_device
from brian2_harness.families.growth.case import Case
from brian2_harness.reports import junit
from brian2_harness.reports import render as html_report
from brian2_harness.reports.results import RESULTS_FORMAT, print_table, summarize, write_json
from brian2_harness.tools import doctor

ROOT = Path(__file__).resolve().parent.parent


# --- rich markup ---------------------------------------------------------------------------------------

def test_list_prints_the_cuda_extra_whole(monkeypatch, capsys):
    """rich read "[cuda]" as a style tag and printed pip install 'brian2-harness'."""
    from brian2_harness.devices.cuda import INSTALL_HINT
    cuda = get_device("cuda_standalone")
    monkeypatch.setattr(cuda, "probe", lambda: Probe(UNAVAILABLE, f"brian2cuda is not installed: {INSTALL_HINT}"))
    assert main(["list"]) == 0
    out = capsys.readouterr().out
    assert "pip install 'brian2-harness[cuda]'" in out
    assert "OMP_WAIT_POLICY=" in out and "cpp_standalone_omp 2 threads" in out


def test_list_json_states_the_scheduling(capsys):
    assert main(["list", "--json"]) == 0
    sched = json.loads(capsys.readouterr().out)["scheduling"]
    assert sched["openmp_threads"] == {"cpp_standalone_omp": 2}
    assert sched["wait_policy"] in ("passive", os.environ.get("OMP_WAIT_POLICY"))
    assert sched["slot_budget"] == "max(cores, jobs)" and sched["cores"] >= 1


def test_a_reason_with_brackets_prints_whole_in_the_table():
    reason = "weight w[3] off at event [1]: [bold]S[i] - B[i][/bold] = 2e-05"
    v = Verdict("summed[x]", "cpp_standalone", "float64", "c1", FAIL, reference="oracle:aligned", reason=reason)
    buf = io.StringIO()
    print_table([v], Console(file=buf, width=400))
    out = buf.getvalue()
    assert "summed[x]" in out
    assert f"c1: {reason}" in out


# --- file modes ----------------------------------------------------------------------------------------

def _pass_doc():
    cells = [Verdict("summed_aligned", "numpy", "float64", "c1", PASS, reference="oracle:aligned", max_abs_err=0.0,
                     tolerance=1e-15, reason="within tolerance")]
    return {"format": RESULTS_FORMAT, "status": "complete", "environment": {}, "config": {},
            "summary": summarize(cells), "cells": [c.to_dict() for c in cells], "jobs": []}


@pytest.mark.parametrize("mask, mode", [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664)])
def test_artifacts_follow_the_umask(tmp_path, mask, mode):
    old = os.umask(mask)
    try:
        doc = _pass_doc()
        write_json(str(tmp_path / "results.json"), doc)
        junit.write_junit(doc, tmp_path / "junit.xml")
        paths = html_report.write_report(doc, tmp_path / "report")
    finally:
        os.umask(old)
    for p in (tmp_path / "results.json", tmp_path / "junit.xml", Path(paths["html"]), Path(paths["markdown"])):
        assert stat.S_IMODE(p.stat().st_mode) == mode, (p.name, oct(p.stat().st_mode))


# --- doctor in another accepted environment -------------------------------------------------------------

def _fake_env(monkeypatch, python, versions):
    real = doctor.installed_version
    monkeypatch.setattr(doctor, "_python_version", lambda: python)
    monkeypatch.setattr(doctor, "installed_version", lambda name: versions[name] if name in versions else real(name))


def test_doctor_accepts_brian2_2_9_on_python_3_11(monkeypatch, capsys):
    _fake_env(monkeypatch, (3, 11, 7), {"brian2": "2.9.0", "numpy": "2.2.6", "brian2cuda": None})
    report = doctor.diagnose()
    by = {c["name"]: c for c in report["checks"]}
    for name in ("python", "brian2", "numpy"):
        assert by[name]["ok"] and by[name]["fix"] is None, by[name]
        assert name not in report["missing"]
    assert by["python"]["version"] == "3.11.7" and by["brian2"]["version"] == "2.9.0"
    assert "verified with 3.12" in by["python"]["detail"]
    assert "verified with 2.10.1" in by["brian2"]["detail"]
    assert "Python >= 3.12" in by["brian2cuda"]["fix"]            # no pip command that cannot work here
    assert report["verified_with"] == {"python": "3.12", "brian2": "2.10.1", "brian2cuda": "1.0b1"}
    assert doctor.cmd_doctor(argparse.Namespace(json=False)) == 0
    out = capsys.readouterr().out
    checks_table = out[:out.index(" devices ")]
    rows = {line.split("│")[1].strip(): line for line in checks_table.splitlines() if line.count("│") > 3}
    for name in ("python", "brian2", "numpy"):
        assert "ok" in rows[name].split("│")[2] and "problem" not in rows[name], rows[name]
    assert "verified with: brian2 2.10.1 on Python 3.12" in out


def test_doctor_names_real_problems_of_such_an_environment(monkeypatch):
    _fake_env(monkeypatch, (3, 11, 7), {"brian2": "2.9.0", "numpy": "2.4.0"})
    by = {c["name"]: c for c in doctor.diagnose()["checks"]}
    assert not by["numpy"]["ok"] and "does not import with numpy >= 2.3" in by["numpy"]["detail"]
    assert "numpy<2.3" in by["numpy"]["fix"]
    _fake_env(monkeypatch, (3, 10, 12), {"brian2": "2.4.2"})
    by = {c["name"]: c for c in doctor.diagnose()["checks"]}
    assert not by["python"]["ok"] and not by["brian2"]["ok"]
    assert "older than 2.5.4" in by["brian2"]["detail"] and "brian2==2.9.0" in by["brian2"]["fix"]


def test_doctor_names_the_pins_old_brian2_needs(monkeypatch):
    """brian2 2.5.4 (the oldest accepted) needs numpy < 2 and, like every brian2 below 2.8, Cython < 3.1."""
    _fake_env(monkeypatch, (3, 11, 7), {"brian2": "2.5.4", "numpy": "2.2.6", "cython": "3.1.2"})
    by = {c["name"]: c for c in doctor.diagnose()["checks"]}
    assert by["brian2"]["ok"]
    assert not by["numpy"]["ok"] and "numpy<2" in by["numpy"]["fix"]
    assert not by["cython"]["ok"] and "cython<3.1" in by["cython"]["fix"]
    assert "Cython is not available" in by["cython"]["detail"]
    _fake_env(monkeypatch, (3, 11, 7), {"brian2": "2.5.4", "numpy": "1.26.4", "cython": "3.0.11"})
    by = {c["name"]: c for c in doctor.diagnose()["checks"]}
    assert by["numpy"]["ok"] and by["cython"]["ok"]               # negative control: the pins that work
    _fake_env(monkeypatch, (3, 11, 7), {"brian2": "2.8.0.4", "numpy": "1.26.4", "cython": "3.1.2"})
    assert {c["name"]: c for c in doctor.diagnose()["checks"]}["cython"]["ok"]     # 2.8 handles Cython 3.1


def test_doctor_verified_version_is_not_an_error_either(monkeypatch):
    _fake_env(monkeypatch, (3, 13, 0), {"brian2": "2.11.0", "brian2cuda": "1.0b2"})
    by = {c["name"]: c for c in doctor.diagnose()["checks"]}
    assert by["python"]["ok"] and by["brian2"]["ok"] and by["brian2cuda"]["ok"]
    assert "verified with 1.0b1" in by["brian2cuda"]["detail"]
    _fake_env(monkeypatch, (3, 12, 1), {"brian2": "2.10.1"})
    by = {c["name"]: c for c in doctor.diagnose()["checks"]}
    assert "the verified version" in by["brian2"]["detail"] and "the verified version" in by["python"]["detail"]


def test_doctor_accepts_what_pyproject_accepts():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert project["requires-python"] == ">=" + ".".join(map(str, doctor.PYTHON_MIN))
    assert f"brian2>={doctor.BRIAN2_MIN}" in project["dependencies"]
    assert f"brian2=={doctor.BRIAN2_VERSION}" in project["optional-dependencies"]["cuda"]
    assert f"brian2cuda=={doctor.BRIAN2CUDA_VERSION}" in project["optional-dependencies"]["cuda"]


# --- JUnit ---------------------------------------------------------------------------------------------

def _junit_doc():
    cases = [Case(n_pre=4, n_post=4, i=[a for a in range(4) for _ in range(3)], j=[b % 4 for b in range(12)],
                  w0=[0.5] * 12, name="s1-0003"),
             Case(n_pre=1, n_post=1, i=[0], j=[0], w0=[0.1], name="s1-0004")]
    cells = [Verdict("summed_seed", "cpp_standalone", "float32", c.name, PASS, reference="oracle:lagged",
                     max_abs_err=0.0, tolerance=1e-6) for c in cases]
    cells.append(Verdict("summed_seed", "numpy", "float32", "s1-0003", FAIL, reason="w[0] off"))
    jobs = [{"label": "summed_seed x cpp_standalone x float32 (batch 1/1, 2 cases)", "variant": "summed_seed",
             "device": "cpp_standalone", "dtype": "float32", "batch": 0, "cases": [c.name for c in cases],
             "case_sizes": [junit.case_sizes(c) for c in cases], "seconds": 9.0, "timing": {}, "error": ""},
            {"label": "summed_seed x numpy x float32 (batch 1/1, 1 cases)", "variant": "summed_seed",
             "device": "numpy", "dtype": "float32", "batch": 0, "cases": ["s1-0003"],
             "case_sizes": [junit.case_sizes(cases[0])], "seconds": 2.5, "timing": {}, "error": ""}]
    return {"format": RESULTS_FORMAT, "status": "complete", "cells": [c.to_dict() for c in cells], "jobs": jobs,
            "summary": summarize(cells)}


def test_junit_testcases_have_readable_names_and_times(tmp_path):
    junit.write_junit(_junit_doc(), tmp_path / "j.xml")
    root = ET.parse(tmp_path / "j.xml").getroot()
    cases = {tc.get("name"): tc for tc in root.iter("testcase")}
    assert set(cases) == {"summed_seed[cpp_standalone,float32] s1-0003 (12 syn, 4 post, 3 events)",
                          "summed_seed[cpp_standalone,float32] s1-0004 (1 syn, 1 post, 3 events)",
                          "summed_seed[numpy,float32] s1-0003 (12 syn, 4 post, 3 events)"}
    times = {name: float(tc.get("time")) for name, tc in cases.items()}
    assert all(t > 0 for t in times.values())
    assert times["summed_seed[cpp_standalone,float32] s1-0003 (12 syn, 4 post, 3 events)"] == pytest.approx(4.5)
    assert times["summed_seed[numpy,float32] s1-0003 (12 syn, 4 post, 3 events)"] == pytest.approx(2.5)
    suite = root.find("testsuite[@name='summed_seed.cpp_standalone.float32']")
    assert float(suite.get("time")) == pytest.approx(sum(float(tc.get("time")) for tc in suite.iter("testcase")))


def test_junit_metaplastic_names_count_spikes():
    from brian2_harness.families.metaplastic.case import MetaCase
    case = MetaCase(n_pre=2, n_post=1, i=[0, 1], j=[0, 0], w0=[0.1, 0.2], pre_spikes=[(0, 5), (1, 7)],
                    post_spikes=[(0, 9)], name="m1-0001")
    assert junit.case_sizes(case) == {"syn": 2, "post": 1, "events": 5, "spikes": 3}


@pytest.mark.brian
def test_run_writes_junit_with_names_sizes_and_times(tmp_path, capsys):
    xml, res = tmp_path / "j.xml", tmp_path / "r.json"
    assert main(["run", "--variants", "summed_seed", "--devices", "numpy", "--cases", "3", "--seed", "1",
                 "--quiet", "--junit", str(xml), "--json", str(res), "--cache-dir", str(tmp_path / "cache")]) == 0
    doc = json.loads(res.read_text())
    assert doc["scheduling"]["jobs"] >= 1 and doc["scheduling"]["wait_policy"]
    assert doc["jobs"][0]["cases"] == ["s1-0000", "s1-0001", "s1-0002"]
    tcs = list(ET.parse(xml).getroot().iter("testcase"))
    assert len(tcs) == 3 and all(float(tc.get("time")) > 0 for tc in tcs)
    for tc in tcs:
        assert re.fullmatch(r"summed_seed\[numpy,float64\] s1-000\d \(\d+ syn, \d+ post, \d+ events\)",
                            tc.get("name")), tc.get("name")
    assert stat.S_IMODE(xml.stat().st_mode) == 0o666 & ~_umask()


def _umask():
    m = os.umask(0)
    os.umask(m)
    return m


# --- CI ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("workflow", ["cpu.yml", "gpu.yml"])
def test_workflows_put_the_markdown_summary_in_the_job_summary(workflow):
    text = (ROOT / "ci" / "github" / workflow).read_text()
    report_dirs = set(re.findall(r"--report (?:\{toxinidir\}/)?(\S+)", text)) or \
        set(re.findall(r"--report \{toxinidir\}/(\S+)", (ROOT / "tox.ini").read_text())) & {"report-gpu"}
    assert report_dirs, workflow
    for d in report_dirs:
        assert re.search(rf'cat {re.escape(d)}/summary\.md >> "\$GITHUB_STEP_SUMMARY"', text), (workflow, d)
    step = text[text.index("$GITHUB_STEP_SUMMARY") - 300:text.index("$GITHUB_STEP_SUMMARY")]
    assert "if: always()" in step                      # also when the run failed: that is when it matters
