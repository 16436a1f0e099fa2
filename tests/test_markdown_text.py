"""Markdown outputs never carry raw HTML from what a user named or a script printed (issue 35): a script named
`<img src=x onerror=alert(1)>.py` and an error quoting `<script>` appear as text in `check --markdown`, the report's
summary.md, the run report's summary and `history --markdown`. No Brian: a stand-in for the device processes.
Controls: the input really holds the markup (the JSON document keeps it verbatim), and plain text, numbers and the
report's own Markdown are unchanged."""
import json

from test_script_baseline import SCRIPT, fake_run_device

from brian2_harness.check.script import ERROR, DeviceRun
from brian2_harness.cli import check as check_command
from brian2_harness.cli import main
from brian2_harness.reports.mdtext import md_cell, md_fenced, md_inline_code, md_text
from brian2_harness.reports.render import environment
from brian2_harness.upgrade import script_history

NAME = "<img src=x onerror=alert(1)>"
ERROR_TEXT = "<script>alert('e')</script> went wrong | badly"


def test_text_never_becomes_html_in_markdown():
    assert md_text(NAME) == "&lt;img src=x onerror=alert(1)>"
    assert md_cell(ERROR_TEXT + "\nsecond") == ("&lt;script>alert('e')&lt;/script> went wrong \\| badly "
                                                "second")
    assert md_text("a & b") == "a &amp; b" and md_text(3.5) == "3.5" and md_cell("plain") == "plain"
    assert md_fenced('{"x": "```"}') == '{"x": "`\u200b``"}' and md_fenced("<b>") == "<b>"    # code: verbatim
    assert md_inline_code("a`b") == "`` a`b ``" and md_inline_code("run x") == "`run x`"


def test_the_markdown_environment_escapes_every_value_not_only_filtered_ones():
    env = environment(False)
    out = env.from_string("{{ a }} | {{ b|md }} | **{{ c }}**").render(a=NAME, b=ERROR_TEXT, c="FAIL")
    assert "<img" not in out and "<script" not in out and "**FAIL**" in out
    html = environment(True).from_string("{{ a }}").render(a=NAME)
    assert "<img" not in html                                                  # HTML: autoescape, as before


def _error_runner(script, device, seeds, **kwargs):
    if device == "cython":
        return DeviceRun(device, ERROR, ERROR_TEXT)
    return fake_run_device(script, device, seeds, **kwargs)


def test_check_markdown_and_report_show_script_names_and_errors_as_text(tmp_path, monkeypatch):
    monkeypatch.setattr(check_command, "run_device", _error_runner)      # the command's runner
    script = tmp_path / f"{NAME}.py"
    script.write_text(SCRIPT)
    md, report, doc = tmp_path / "s.md", tmp_path / "report", tmp_path / "d.json"
    assert main(["check", str(script), "--devices", "numpy,cython", "--quiet", "--markdown", str(md),
                 "--report", str(report), "--json", str(doc)]) == 1
    assert NAME in doc.read_text() and "<script>" in json.loads(doc.read_text())["scripts"][0]["reason"]  # control
    for path in (md, report / "summary.md"):
        text = path.read_text()
        assert "<img" not in text and "<script" not in text, text
        assert "&lt;img src=x onerror=alert(1)>" in text and "&lt;script>" in text
        assert "| script | verdict | mode | devices | reason |" in text                  # the table is intact
    assert "<img" not in (report / "index.html").read_text()


def test_history_markdown_shows_script_names_and_details_as_text():
    env = {"brian2": "2.5.4", "numpy": "1.26", "python": "3.11", "cython": "0.29"}
    row = {"script": NAME, "device": "cython", "status": script_history.CHANGED, "detail": ERROR_TEXT}
    doc = {"versions": [{"environment": env, "scripts": [NAME], "path": "<b>dir</b>"}], "missing": [],
           "steps": [{"from_environment": env, "environment": {**env, "brian2": "2.6.0"},
                      "env_changes": ["brian2 <i>2.5.4</i> -> 2.6.0"],
                      "summary": {s: 0 for s in script_history.STATUSES}, "rows": [row]}]}
    text = script_history.markdown(doc)
    assert "<img" not in text and "<script" not in text and "<b>" not in text and "<i>" not in text
    assert "brian2 &lt;i>2.5.4&lt;/i> -> 2.6.0" in text                       # the harness's own arrow as written
    assert "| &lt;img src=x onerror=alert(1)> | cython | changed |" in text and "\\| badly" in text
