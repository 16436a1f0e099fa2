"""A finding's plot (no Brian: the final check's result is built the way check builds it, tests/check_docs.py):
Campaign.disagreement saves findings/<id>/plot.png from the final check's first difference and both reports show
it; a finding whose device errored gets no plot and the reports say why; --replay and --resume keep the plot."""
from __future__ import annotations

import json
import os
from types import SimpleNamespace

import pytest
from check_docs import check_result

from brian2_harness.check.script import ERROR, DeviceRun
from brian2_harness.check.verdict import REFERENCE, CheckResult, DeviceVerdict
from brian2_harness.fuzz import campaign, differential, features, replay, resume, shrink
from brian2_harness.fuzz.strategies import Model

DEVICES = ["numpy", "cpp_standalone"]
MODEL = Model(("@G = NeuronGroup(3, 'v : volt', name='@G')", "@mon = StateMonitor(@G, ['v'], record=True, "
               "name='@mon')"))
PNG = b"\x89PNG\r\n\x1a\n"


def _errored() -> CheckResult:
    devices = {"numpy": DeviceVerdict("numpy", REFERENCE, "1 run(s)"),
               "cpp_standalone": DeviceVerdict("cpp_standalone", ERROR, "make: *** [main] Error 1")}
    runs = {d: DeviceRun(d, "ok" if d == "numpy" else ERROR, "") for d in DEVICES}
    return CheckResult("fuzzmodel.py", ERROR, "cpp_standalone errored", "numpy", devices, runs, "exact")


def _campaign(tmp_path, monkeypatch, final: CheckResult, outcome: str):
    """A campaign whose one disagreement (model 0 of pack 0, `outcome` on cpp_standalone) is saved as a finding;
    shrinking is skipped (the model is its own minimal script) and the final check returns `final`."""
    cfg = campaign.Config(devices=DEVICES, budget_s=3600, seed=1, out=str(tmp_path / "out"), pack=1, max_models=0,
                          shares=features.shares(), release="2.10.1")
    c = campaign.Campaign(cfg, lambda text: None)
    monkeypatch.setattr(shrink, "shrink", lambda model, *a: SimpleNamespace(
        script="from brian2 import *\n# minimal\n", reached=True, candidates=0, seconds=0.0))
    monkeypatch.setattr(c, "check_script", lambda text, devices, label: final)
    d = differential.Disagreement(0, "cpp_standalone", outcome, ["mon.v"], "differs")
    c.disagreement(0, (0, MODEL), (10,), [d], 10)
    return c, cfg


def _reports(out) -> tuple[str, str]:
    return (out / "report.md").read_text(), (out / "report.html").read_text()


def test_a_finding_gets_the_plot_of_its_first_difference_in_both_reports(tmp_path, monkeypatch):
    c, cfg = _campaign(tmp_path, monkeypatch, check_result(differ=True), "fail")
    summary = c.finish()
    (f,) = summary["findings"]
    plot = tmp_path / "out" / "findings" / f["id"] / "plot.png"
    assert plot.read_bytes().startswith(PNG) and plot.stat().st_size > 1000
    assert f["plot"] == {"file": "plot.png", "device": "cpp_standalone", "observable": "statemonitor.v"}
    md, html = _reports(tmp_path / "out")
    rel = f"findings/{f['id']}/plot.png"
    assert f"]({rel})" in md and "statemonitor.v: cpp_standalone vs numpy" in md
    assert f'<img src="{rel}"' in html and "no plot" not in md + html
    # no temp file of the atomic write is left next to it
    assert sorted(os.listdir(plot.parent)) == ["check.json", "finding.json", "plot.png", "script.py"]


def test_a_finding_without_a_plottable_difference_says_why(tmp_path, monkeypatch):
    """Negative control: the device errored in the final check, so there is no window to plot."""
    c, cfg = _campaign(tmp_path, monkeypatch, _errored(), "error")
    summary = c.finish()
    (f,) = summary["findings"]
    assert not (tmp_path / "out" / "findings" / f["id"] / "plot.png").exists()
    assert f["plot"] == {"none": "cpp_standalone errored (no values to compare)"}
    md, html = _reports(tmp_path / "out")
    for text in (md, html):
        assert "no plot: cpp_standalone errored (no values to compare)" in text and "plot.png" not in text


def test_a_statistical_difference_or_a_missing_file_is_not_shown_as_an_image(tmp_path):
    from brian2_harness.fuzz import plot as plots
    doc = {"scripts": [{"reference": "numpy", "devices": {"cpp_standalone": {"verdict": "fail", "first_difference": {
        "observable": "rate.mean", "kind": "statistic", "index": None, "time": None}}}}]}
    assert plots.write(str(tmp_path), ["cpp_standalone"], "numpy", doc) == \
        {"none": "cpp_standalone's difference is statistical (rate.mean)"}
    assert not (tmp_path / "plot.png").exists()
    f = {"id": "abc", "reference": "numpy", "plot": {"file": "plot.png", "device": "cython", "observable": "v"}}
    assert plots.describe(str(tmp_path), f) == (None, "findings/abc/plot.png is missing")
    assert plots.describe(str(tmp_path), {"id": "abc"})[0] is None        # saved before plots: a reason, no image


def test_replay_and_resume_keep_the_plot(tmp_path, monkeypatch):
    c, cfg = _campaign(tmp_path, monkeypatch, check_result(differ=True), "fail")
    c.finish()
    out = tmp_path / "out"
    (fid,) = os.listdir(out / "findings")
    plot = out / "findings" / fid / "plot.png"
    before = plot.read_bytes()
    # --replay: the finding is re-checked (here: it agrees now, flaky) and saved without a new check document
    agree = check_result()
    monkeypatch.setattr(differential, "run_check", lambda *a, **k: agree)
    assert replay.replay(str(out), "2.10.1", say=lambda text: None) == 0
    assert plot.read_bytes() == before
    summary = json.loads((out / "summary.json").read_text())
    assert summary["findings"][0]["status"] == "flaky" and summary["findings"][0]["plot"]["file"] == "plot.png"
    md, html = _reports(out)
    assert f"](findings/{fid}/plot.png)" in md and f'<img src="findings/{fid}/plot.png"' in html
    # --resume: the stored campaign continues (no pack left here) and writes its reports again
    resume.save(str(out), cfg, 1, 10.0, c.stats)
    again = campaign.Campaign(cfg, lambda text: None, resume.load(str(out), "2.10.1")).run()
    assert again["findings"][0]["plot"]["file"] == "plot.png" and plot.read_bytes() == before
    md, html = _reports(out)
    assert f"](findings/{fid}/plot.png)" in md and f'<img src="findings/{fid}/plot.png"' in html
    # control: the same reports once the file is gone show no image
    plot.unlink()
    campaign.Campaign(cfg, lambda text: None).finish()
    md, html = _reports(out)
    assert "plot.png)" not in md and "<img" not in html and "plot.png is missing" in md


def test_replay_draws_the_plot_of_a_finding_saved_before_plots(tmp_path, monkeypatch):
    c, cfg = _campaign(tmp_path, monkeypatch, check_result(differ=True), "fail")
    c.finish()
    out = tmp_path / "out"
    (fid,) = os.listdir(out / "findings")
    folder = out / "findings" / fid
    data = json.loads((folder / "finding.json").read_text())
    del data["plot"]                                         # as an earlier version wrote it
    (folder / "finding.json").write_text(json.dumps(data))
    (folder / "plot.png").unlink()
    monkeypatch.setattr(differential, "run_check", lambda *a, **k: check_result(differ=True))
    campaign.Campaign(cfg, lambda text: None).finish()                # the findings as stored
    assert "no plot: none recorded" in _reports(out)[0]     # control: the report before the replay
    replay.replay(str(out), "2.10.1", say=lambda text: None)
    assert (folder / "plot.png").read_bytes().startswith(PNG)
    assert f"](findings/{fid}/plot.png)" in _reports(out)[0]


@pytest.mark.parametrize("kind", ["spikes", "state"])
def test_the_plot_is_checks_own_difference_plot(tmp_path, kind):
    """Both kinds of window check's report plots (a trace and its difference, or two rasters) are written."""
    from brian2_harness.check.document import check_document
    from brian2_harness.fuzz import plot as plots
    result = check_result(extra_spike=True) if kind == "spikes" else check_result(differ=True)
    doc = check_document([result], environment={}, config={})
    got = plots.write(str(tmp_path), ["cpp_standalone"], "numpy", doc)
    assert got["file"] == "plot.png" and (tmp_path / "plot.png").read_bytes().startswith(PNG)
    assert got["observable"] == ("spikemonitor" if kind == "spikes" else "statemonitor.v")
