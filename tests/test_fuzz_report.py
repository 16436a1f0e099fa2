"""The campaign's reports (no Brian): report.md and report.html from one summary; the HTML escapes every value (a
finding's script is shown as text, never as markup)."""
from __future__ import annotations

from brian2_harness.fuzz import features, findings, report

SCRIPT = "from brian2 import *\nG = NeuronGroup(3, 'k0 : integer', name='<script>alert(1)</script>')\n"


def _summary(tmp_path):
    sig = findings.signature(["cpp_standalone"], "fail", ["int"], ["floordiv", "int_vars"])
    f = findings.Finding(id=findings.finding_id(sig), signature=sig, devices=["cpp_standalone"], reference="numpy",
                         outcome="fail", observables=["mon.k0"], features=["floordiv", "int_vars"], release="2.5.4",
                         script_lines=5, found_after_s=355.0, model={}, detail="differs",
                         shrink=dict(reached=True, candidates=36, seconds=304.0, original_lines=10),
                         triage={"class": "brian2 bug", "rule": "brian2-1495", "reason": "Brian2 #1495 & co",
                                 "source": "x"})
    findings.save(str(tmp_path), f, SCRIPT, {"format": "brian2-harness-check/1"})
    stats = dict(models=130, packs=13, invalid=3, disagreements=2, duplicates=0, first_finding_s=355.0,
                 pack_seconds=[], coverage={"int_vars": 117, "floordiv": 26}, timed_out=[], unchecked=0)
    return dict(release="2.5.4", devices=["numpy", "cpp_standalone"], seed=1, pack=10, budget_s=1800,
                seconds=1899.0, models_per_minute=4.11, shares=features.shares(), stats=stats,
                findings=[f.to_dict()], new=[f.id])


def test_both_reports_show_the_counts_the_finding_and_the_coverage(tmp_path):
    summary = _summary(tmp_path)
    report.write(str(tmp_path), summary)
    md = (tmp_path / "report.md").read_text()
    html = (tmp_path / "report.html").read_text()
    for text in (md, html):
        assert "brian2-1495" in text and "130" in text and "int_vars" in text and "355 s" in text
    assert html.startswith("<!DOCTYPE html>") and "width:90px" in html        # 117 of 130 models: a 90 % bar
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "<script>alert" not in html
    assert "Brian2 #1495 &amp; co" in html


def test_the_escaping_check_can_fail():
    """Negative control: the same assertion on unescaped text fails."""
    assert "<script>alert" in SCRIPT


def test_a_device_that_refused_packs_is_reported_with_its_reason(tmp_path):
    """store/restore packs are refused by cpp_standalone: the report says how many scripts and models were compared
    on the other devices only, and why (a campaign without refusals says 0)."""
    summary = _summary(tmp_path)
    assert "a device refused (Brian's reason; their 0 models compared on the other devices only, 0 of them on " \
           "none: every device but the reference refused): 0" in report.render(summary)
    summary["stats"].update(refused=["pack 4: cpp_standalone: Brian: The store/restore mechanism is not supported"],
                            refused_models=10, uncompared_models=10)
    md = report.render(summary)
    assert "their 10 models compared on the other devices only, 10 of them on none: every device but the " \
           "reference refused): 1 (pack 4: cpp_standalone: Brian: The store/restore mechanism is not supported)" \
           in md, md
