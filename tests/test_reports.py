"""Reports built from results documents in memory (no Brian run): HTML, Markdown, JUnit, merge, doctor."""
import argparse
import json
import platform
import re
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest

from brian2_harness.cells.verdict import BUILT, ERROR, FAIL, PASS, SKIP, Verdict
from brian2_harness.errors import UsageError
from brian2_harness.families.growth.case import Case, default_case
from brian2_harness.families.growth.compare import compare_growth
from brian2_harness.families.growth.diagnose import FLOAT32_TEXT, LAG_TEXT
from brian2_harness.families.growth.network import pack
from brian2_harness.families.growth.observables import GrowthObservables
from brian2_harness.families.growth.observed import compact_observed
from brian2_harness.families.growth.oracle import simulate
from brian2_harness.reports import junit, merge
from brian2_harness.reports import render as html_report
from brian2_harness.reports.results import RESULTS_FORMAT, summarize
from brian2_harness.tools import doctor


def _oracle(case, schedule="aligned"):
    net, blocks = pack([case])
    return simulate(net, schedule).block(blocks[0])


def _failing(variant, device, dtype, case, got, ref, schedule="aligned"):
    """A failing cell as `_judge_with_oracle` makes it: comparison, case and compact observables."""
    cmp = compare_growth(got, ref, dtype=dtype, excess=ref.excess(), increment=case.g * case.dt)
    assert not cmp.ok
    v = Verdict(variant, device, dtype, case.name, FAIL, reference=f"oracle:{schedule}",
                max_abs_err=cmp.max_abs_err, max_rel_err=cmp.max_rel_err, tolerance=cmp.tolerance,
                boundary=cmp.boundary, reason=cmp.reason, log="/tmp/worker.log")
    v.extra["case"] = case.to_dict()
    v.extra["observed"] = compact_observed(got, ref, cmp.tolerance)
    return v


def lag_cell(device="numpy"):
    """summed_seed-like: the device follows the lagged schedule, checked against the aligned oracle."""
    case = default_case(beta=0.9, period=0.01, duration=0.05).replace(name="lag-case")
    ref, got = _oracle(case, "aligned"), _oracle(case, "lagged")
    return _failing("summed_seed", device, "float64", case, GrowthObservables(got.w_before, got.w_after, got.j,
                                                                              got.n_post), ref)


def float32_cell():
    """A float64 cell whose error grows with the events like float32 accumulation would."""
    case = default_case(beta=0.9, period=0.01, duration=0.08).replace(name="f32-case")
    ref = _oracle(case)
    steps = (np.arange(case.n_events) + 1)[:, None] * case.steps_per_period
    drift = np.finfo(np.float32).eps * 0.5 * steps * np.linspace(0.5, 1.0, case.n_synapses)[None, :]
    got = GrowthObservables(ref.w_before + drift, ref.w_after + drift, ref.j, ref.n_post)
    return _failing("drifty", "cpp_standalone", "float64", case, got, ref)


def make_results(extra_cells=()):
    cells = [
        lag_cell("numpy"), lag_cell("cpp_standalone"), float32_cell(),
        Verdict("summed_aligned", "numpy", "float64", "lag-case", PASS, reference="oracle:aligned",
                max_abs_err=0.0, tolerance=1e-15, reason="within tolerance"),
        Verdict("summed_aligned", "cpp_standalone", "float64", "lag-case", PASS, reference="oracle:aligned",
                max_abs_err=0.0, tolerance=1e-15, reason="within tolerance"),
        Verdict("summed_aligned", "cython", "float64", "lag-case", ERROR,
                reason="CompileError: g++ failed <&> \x01", log="/tmp/w.log"),
        Verdict("summed_aligned", "cpp_standalone_omp", "float64", "lag-case", SKIP,
                reason="device cpp_standalone_omp unavailable: OpenMP unavailable"),
        Verdict("summed_aligned", "cuda_standalone", "float64", "lag-case", BUILT, reason="built, not run: no GPU"),
        *extra_cells,
    ]
    return {
        "format": RESULTS_FORMAT, "status": "complete",
        "environment": {"python": "3.12.1", "brian2": "2.10.1", "numpy": "2.0"},
        "config": {"variants": ["summed_seed", "summed_aligned", "drifty"], "against": "aligned"},
        "summary": summarize(cells),
        "cells": [json.loads(json.dumps(c.to_dict())) for c in cells],
        "required_missing": [], "seconds": 12.5,
        "jobs": [{"label": "summed_seed x numpy x float64 (batch 1/1, 1 cases)", "seconds": 3.0, "timing": {},
                  "error": ""}],
    }


def write(tmp_path, name, doc):
    p = tmp_path / name
    p.write_text(json.dumps(doc))
    return str(p)


# --- observed ------------------------------------------------------------------------------------------

def test_compact_observed_is_capped_and_keeps_the_worst_synapses():
    case = Case(n_pre=50, n_post=2, i=list(range(50)), j=[k % 2 for k in range(50)], w0=[0.1] * 50,
                period=0.01, duration=0.03)
    ref = _oracle(case)
    w_after = ref.w_after.copy()
    w_after[1, 45] += 1.0                      # the one synapse that is badly off
    got = GrowthObservables(ref.w_before, w_after, ref.j, ref.n_post)
    obs = compact_observed(got, ref, 1e-12, max_synapses=8, max_events=2)
    assert len(obs["synapses"]) == 8 and 45 in obs["synapses"]
    assert obs["events"] == [0, 1] and obs["n_synapses"] == 50 and obs["n_events"] == 3
    assert np.shape(obs["w_after"]) == (2, 8)
    json.dumps(obs)                            # plain JSON


# --- HTML and Markdown ---------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def report(tmp_path_factory):
    """One full report (plots take a while), shared by the tests that only read it."""
    return html_report.write_report(make_results(), tmp_path_factory.mktemp("rep"))


def test_html_report_is_self_contained_with_plots_and_the_failing_cell(report):
    paths = report
    text = open(paths["html"]).read()
    assert text.startswith("<!DOCTYPE html>")
    pngs = re.findall(r'src="data:image/png;base64,([A-Za-z0-9+/=]+)"', text)
    assert len(pngs) == 6                                          # 3 failing cells x (totals, heatmap)
    import base64
    assert all(base64.b64decode(p)[:8] == b"\x89PNG\r\n\x1a\n" for p in pngs)
    assert not re.search(r'(src|href)="(https?:|//|file:)', text)  # no external assets
    assert "<script" not in text and "<link" not in text
    assert "summed_seed × numpy × float64 — lag-case" in text
    assert LAG_TEXT in text
    assert FLOAT32_TEXT in text
    assert "first divergence" in text and "event 0" in text
    assert "g++ failed &lt;&amp;&gt; \\x01" in text                 # reasons escaped, control chars visible
    # the case is a ready-to-use case file
    m = re.search(r"<pre>(\[\{.*?\}\])</pre>", text, re.S)
    import html as html_mod
    case = Case.from_dict(json.loads(html_mod.unescape(m.group(1)))[0])
    assert case == default_case(beta=0.9, period=0.01, duration=0.05)


def test_summary_markdown_has_the_matrix(report):
    paths = report
    md = open(paths["markdown"]).read()
    assert "| variant | numpy float64 | cpp_standalone float64 |" in md
    row = next(line for line in md.splitlines() if line.startswith("| summed_seed |"))
    assert "**FAIL** 0/1/0/0" in row
    assert "| summed_aligned | numpy | float64 | PASS | 1/0/0/0 |" in md
    assert "Failing cells (4)" in md and "explanation: off by exactly g·dt" in md


def test_report_caps_failures_and_says_how_many_are_left_out(tmp_path):
    paths = html_report.write_report(make_results(), tmp_path, max_failures=1)
    text = open(paths["html"]).read()
    assert "3 more failing cell(s) are left out" in text
    assert text.count('class="cell') == 1
    assert "3 more failing cell(s) left out" in open(paths["markdown"]).read()


def test_report_without_observables_still_explains_from_the_reason(tmp_path):
    doc = make_results()
    for c in doc["cells"]:
        c["extra"].pop("observed", None)
    text = open(html_report.write_report(doc, tmp_path)["html"]).read()
    assert "data:image/png" not in text
    assert "no device observables" in text
    assert "from the comparison" in text and "s message" in text
    assert "event 0" in text                                       # divergence parsed from the reason


def test_report_command(tmp_path, capsys):
    path = write(tmp_path, "r.json", make_results())
    args = argparse.Namespace(results=path, out=str(tmp_path / "out"), max_failures=0)
    assert html_report.cmd_report(args) == 0
    assert (tmp_path / "out" / "index.html").exists() and (tmp_path / "out" / "summary.md").exists()
    args.results = str(tmp_path / "missing.json")
    with pytest.raises(UsageError, match="does not exist"):
        html_report.cmd_report(args)


# --- JUnit ---------------------------------------------------------------------------------------------

def test_junit_counts_and_reasons(tmp_path):
    doc = make_results()
    out = tmp_path / "junit.xml"
    junit.write_junit(doc, out)
    root = ET.parse(out).getroot()
    assert root.tag == "testsuites"
    cases = root.findall(".//testcase")
    assert len(cases) == len(doc["cells"]) == 8
    assert len(root.findall(".//testcase/failure")) == 3
    assert len(root.findall(".//testcase/error")) == 1
    assert len(root.findall(".//testcase/skipped")) == 2           # skip + built-only
    assert (root.get("tests"), root.get("failures"), root.get("errors"), root.get("skipped")) == ("8", "3", "1", "2")
    first = cases[0]
    assert first.get("classname") == "summed_seed.numpy.float64"
    assert first.get("name") == "summed_seed[numpy,float64] lag-case"     # no case sizes in this document
    assert first.get("time") == "3.000000"                                 # the suite's 3 s over its one cell
    assert "one-step schedule lag" in first.find("failure").get("message")
    err = root.find(".//testcase/error")
    assert err.get("message").startswith("CompileError: g++ failed <&>")   # illegal \x01 replaced, XML valid
    suite = root.find("testsuite[@name='summed_seed.numpy.float64']")
    assert suite.get("time") == "3.000" and suite.get("failures") == "1"


# --- merge ---------------------------------------------------------------------------------------------

def test_merge_concatenates_and_keeps_environments(tmp_path):
    cpu = make_results()
    gpu = make_results()
    gpu["environment"] = {"python": "3.12.3", "nvcc": "13.0"}
    for c in gpu["cells"]:
        c["device"] += "_gpu"
    a, b = write(tmp_path, "cpu.json", cpu), write(tmp_path, "gpu.json", gpu)
    out = tmp_path / "all.json"
    args = argparse.Namespace(inputs=[a, b], out=str(out))
    assert merge.run(args) == 0
    doc = merge.load_results(out)
    assert len(doc["cells"]) == 16 and doc["summary"]["cells"] == 16
    assert [s["label"] for s in doc["sources"]] == ["cpu", "gpu"]
    assert doc["sources"][1]["environment"]["nvcc"] == "13.0"
    assert {c["extra"]["source"] for c in doc["cells"]} == {"cpu", "gpu"}
    # a merged document can be merged again and reported on
    html_report.write_report(doc, tmp_path / "rep", max_failures=1)
    again = merge.merge_documents([(str(out), doc)])
    assert [s["label"] for s in again["sources"]] == ["cpu", "gpu"]


def test_merge_rejects_duplicates_naming_them(tmp_path):
    a = write(tmp_path, "a.json", make_results())
    b = write(tmp_path, "b.json", make_results())
    with pytest.raises(UsageError) as exc:
        merge.run(argparse.Namespace(inputs=[a, b], out=str(tmp_path / "all.json")))
    msg = str(exc.value)
    assert "8 duplicate cell(s)" in msg and "summed_seed/numpy/float64/lag-case" in msg and "b.json" in msg
    assert "\n" not in msg
    assert not (tmp_path / "all.json").exists()


@pytest.mark.parametrize("content, words", [
    ("{not json", "is not valid JSON"),
    ("[1, 2]", "not a brian2-harness results document"),
    ('{"format": "something/9", "cells": []}', "format is 'something/9'"),
    ('{"format": "brian2-harness-results/1", "cells": [{"variant": "v"}]}', "cell 0 lacks 'device'"),
    ('{"format": "brian2-harness-results/1", "cells": {}}', "'cells' must be a list"),
])
def test_merge_rejects_corrupt_input_in_one_line(tmp_path, content, words):
    good = write(tmp_path, "good.json", make_results())
    bad = tmp_path / "bad.json"
    bad.write_text(content)
    with pytest.raises(UsageError) as exc:
        merge.run(argparse.Namespace(inputs=[good, str(bad)], out=str(tmp_path / "all.json")))
    assert words in str(exc.value) and "bad.json" in str(exc.value) and "\n" not in str(exc.value)


def test_merge_refuses_to_overwrite_an_input(tmp_path):
    a = write(tmp_path, "a.json", make_results())
    with pytest.raises(UsageError, match="also an input"):
        merge.run(argparse.Namespace(inputs=[a], out=a))


def test_binary_file_is_a_usage_error(tmp_path):
    p = tmp_path / "x.json"
    p.write_bytes(b"\x89PNG\xff\xfe")
    with pytest.raises(UsageError, match="not"):
        merge.load_results(p)


# --- doctor --------------------------------------------------------------------------------------------

def test_doctor_json_keys(capsys):
    assert doctor.cmd_doctor(argparse.Namespace(json=True)) == 0
    doc = json.loads(capsys.readouterr().out)
    assert {"python", "checks", "devices", "missing", "fixes"} <= set(doc)
    names = [c["name"] for c in doc["checks"]]
    for name in ("python", "brian2", "brian2cuda", "numpy", "cython", "gcc", "g++", "make", "openmp", "nvcc",
                 "curand", "gpu"):
        assert name in names
    for c in doc["checks"]:
        assert set(doctor.CHECK_KEYS) <= set(c)
        assert c["ok"] or c["fix"], c                       # every gap comes with a fix
    assert {d["name"] for d in doc["devices"]} >= {"numpy", "cython", "cpp_standalone", "cuda_standalone"}


def test_doctor_tells_whether_brians_cxx_flags_fuse_multiply_adds():
    """Brian >= 2.8.0's cpp_standalone draws numpy's Gaussian numbers only where x1*x1 + x2*x2 is rounded twice
    (ci/brian2_randn_fma_repro.py); -ffp-contract=off must say 'not fused' (negative control), Brian's flags on an
    x86 CPU with FMA 'fused' (positive control), a compiler that fails a reason, not a verdict."""
    cxx = shutil.which("g++")
    if cxx is None:
        pytest.skip("no g++ on this machine")
    assert doctor.fuses_multiply_add(cxx, doctor.BRIAN_CXX_FLAGS + ["-ffp-contract=off"]) is False
    assert doctor.fuses_multiply_add(cxx, ["-O0"]) is False
    assert "failed" in doctor.fuses_multiply_add(cxx, ["--no-such-flag"])
    row = doctor.check_fused_multiply_add()
    assert row["ok"] and row["fix"] is None and row["version"] in ("yes", "no")
    flags = Path("/proc/cpuinfo").read_text().split() if Path("/proc/cpuinfo").exists() else []
    if platform.machine() in ("x86_64", "AMD64") and "fma" in flags:
        assert doctor.fuses_multiply_add(cxx, doctor.BRIAN_CXX_FLAGS) is True
        assert row["version"] == "yes" and "statistically" in row["detail"]


def test_doctor_lists_fix_commands_when_nothing_is_found(monkeypatch, capsys):
    monkeypatch.setattr(shutil, "which", lambda *a, **k: None)
    monkeypatch.setenv("CXX", "")
    monkeypatch.setenv("CC", "")
    report = doctor.diagnose()
    by = {c["name"]: c for c in report["checks"]}
    for name in ("gcc", "g++", "make", "openmp", "gpu"):
        assert not by[name]["found"] and not by[name]["ok"], name
        assert "apt-get install -y" in by[name]["fix"], name
    assert by["g++"]["fix"].endswith("apt-get install -y g++")
    assert "cpp_standalone" in by["make"]["needed_by"] and "cuda_standalone" in by["gpu"]["needed_by"]
    fixes = {f["name"] for f in report["fixes"]}
    assert {"gcc", "g++", "make", "gpu"} <= fixes
    devices = {d["name"]: d for d in report["devices"]}
    assert devices["cpp_standalone"]["mode"] == "unavailable"
    assert doctor.cmd_doctor(argparse.Namespace(json=False)) == 0
    out = capsys.readouterr().out
    assert "to fix:" in out and "apt-get install -y make" in out


def test_doctor_missing_package_gives_pip_command():
    c = doctor.check_package("nothing", "no-such-distribution-xyz", ["numpy"], "no-such-distribution-xyz>=1")
    assert not c["found"] and "-m pip install" in c["fix"] and "no-such-distribution-xyz>=1" in c["fix"]
    c = doctor.check_package("numpy", "numpy", ["numpy"], "numpy==0.1", exact="0.1")
    assert c["found"] and not c["ok"] and "numpy==0.1" in c["fix"]


def test_merge_refuses_the_same_file_twice(tmp_path):
    a = write(tmp_path, "a.json", make_results())
    with pytest.raises(UsageError, match="given more than once"):
        merge.run(argparse.Namespace(inputs=[a, a], out=str(tmp_path / "all.json")))


def test_unwritable_outputs_are_usage_errors(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(UsageError, match="report folder"):
        html_report.write_report(make_results(), blocker / "rep", max_failures=0)
    with pytest.raises(UsageError, match="JUnit file"):
        junit.write_junit(make_results(), blocker / "j.xml")


def _cell_from(family_name, variant, case, got, ref, dtype="float64"):
    """A results cell as the runner writes it, from a family's own comparison (no Brian)."""
    from brian2_harness.cells.verdict import Verdict
    from brian2_harness.families import get_family
    fam = get_family(family_name)
    cmp = fam.compare(got, ref, case, dtype)
    v = Verdict(variant, "numpy", dtype, case.name, "pass" if cmp.ok else "fail",
                reference="oracle:" + fam.semantics[0],
                max_abs_err=cmp.max_abs_err, tolerance=cmp.tolerance, reason=cmp.reason, ratio=cmp.ratio,
                detection_limit=cmp.detection_limit, lag_visible=cmp.lag_visible, first=cmp.first)
    if not cmp.ok:
        v.extra = {"case": case.to_dict(), "observed": fam.observed(got, ref, cmp)}
    return v.to_dict()


def test_all_pass_report_shows_the_headroom_heatmap(tmp_path):
    from brian2_harness.families import get_family
    fam = get_family("growth")
    case = default_case()
    ref = fam.oracle([case], "aligned")[0]
    cells = [_cell_from("growth", "summed_aligned", case, ref, ref)]
    doc = {"format": "brian2-harness-results/1", "status": "complete", "environment": {}, "config": {},
           "summary": {"pass": 1, "cells": 1}, "cells": cells}
    text = open(html_report.write_report(doc, tmp_path)["html"]).read()
    assert 'alt="headroom heatmap"' in text and "data:image/png" in text
    assert "None: every cell that ran passed" in text


def test_failing_metaplastic_cell_gets_its_plots_and_first_divergence(tmp_path):
    import dataclasses

    from brian2_harness.families import get_family
    from brian2_harness.families.metaplastic.case import default_meta_case
    fam = get_family("metaplastic")
    case = default_meta_case()
    ref = fam.oracle([case], "ordered")[0]
    got = dataclasses.replace(ref, A_minus=ref.A_minus * 1.01, stdp_step=None)
    cell = _cell_from("metaplastic", "metaplastic_stdp", case, got, ref)
    assert cell["verdict"] == "fail" and cell["first"]["observable"] == "A_minus"
    doc = {"format": "brian2-harness-results/1", "status": "complete", "environment": {}, "config": {},
           "summary": {"fail": 1, "cells": 1}, "cells": [cell]}
    paths = html_report.write_report(doc, tmp_path)
    text = open(paths["html"]).read()
    assert 'alt="plot 1 of metaplastic_stdp × numpy × float64 — default"' in text
    assert "A_minus at event" in text and "A_minus differs most" in text
    assert "A_minus at event" in open(paths["markdown"]).read()


def test_results_table_fits_120_columns():
    import io

    from rich.console import Console

    from brian2_harness.cells.verdict import Verdict
    from brian2_harness.reports.results import print_table
    vs = [Verdict("summed_every_step", "cpp_standalone_omp", "float32", f"c{k}", "pass", reference="oracle:lagged",
                  max_abs_err=1.2e-7, tolerance=3e-6, ratio=0.04, detection_limit={"min": 1.5e-9, "max": 23.0},
                  lag_visible=k % 2 == 0, judged=80, boundary=9) for k in range(4)]
    buf = io.StringIO()
    print_table(vs, Console(file=buf, width=120, force_terminal=False))
    lines = buf.getvalue().splitlines()
    assert max(len(ln) for ln in lines) <= 120
    assert any("summed_every_step" in ln and "1.5e-9..2.3e1" in ln for ln in lines)   # nothing folded away
