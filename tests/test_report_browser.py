"""The HTML reports as a person sees them: rendered in headless Chromium (skipped with the reason where it is
absent; .ci/run installs it). Verdict badges must render as badges, not as their markup, and every image must load.
"""
import re

import browser
import pytest
from test_reports import _cell_from, make_results

from brian2_harness.reports import render as html_report

pytestmark = pytest.mark.skipif(browser.chromium() is None,
                                reason="chromium not installed (apt-get install chromium; .ci/run installs it)")
MARKUP = re.compile(r"<\s*/?\s*(span|b|img|div|table|td|tr)\b|&lt;|&gt;|class=\"badge\"")


def _passing_run_document():
    from brian2_harness.families import get_family
    from brian2_harness.families.growth.case import default_case
    case = default_case()
    ref = get_family("growth").oracle([case], "aligned")[0]
    cells = [_cell_from("growth", "summed_aligned", case, ref, ref)]
    return {"format": "brian2-harness-results/1", "status": "complete", "environment": {}, "config": {},
            "summary": {"pass": 1, "cells": 1}, "cells": cells}


def assert_seen_as_a_page(seen: dict, badges: list[str], images: int) -> None:
    text = seen["text"]
    assert not MARKUP.search(text), f"markup shown as text: {MARKUP.search(text).group()!r} in {text[:400]!r}"
    for badge in badges:
        assert re.search(rf"(^|\s){badge}(\s|$)", text), f"badge {badge} not rendered"
    assert len(seen["images"]) >= images
    assert all(i["complete"] and i["width"] > 0 for i in seen["images"]), seen["images"]


def test_passing_run_report_renders_badges_and_images(tmp_path):
    paths = html_report.write_report(_passing_run_document(), tmp_path)
    seen = browser.render(paths["html"])
    assert_seen_as_a_page(seen, ["PASS"], images=1)
    assert "None: every cell that ran passed" in seen["text"]


def test_failing_run_report_renders_badges_and_plots(tmp_path):
    paths = html_report.write_report(make_results(), tmp_path, max_failures=2)
    seen = browser.render(paths["html"])
    assert_seen_as_a_page(seen, ["FAIL", "PASS", "ERROR", "SKIP", "BUILT"], images=3)
    assert "summed_seed × numpy × float64 — lag-case" in seen["text"]
    assert any(i["alt"].startswith("plot 1 of summed_seed") for i in seen["images"])


def test_the_probe_sees_escaped_markup_and_broken_images(tmp_path):
    """Negative control: the check above flags the bug it was written for (badges escaped) and a broken image."""
    page = tmp_path / "bad.html"
    page.write_text('<html><body>&lt;span class="badge"&gt;PASS&lt;/span&gt;<img alt="x" src="missing.png">'
                    "</body></html>")
    seen = browser.render(page)
    with pytest.raises(AssertionError, match="markup shown as text"):
        assert_seen_as_a_page(seen, ["PASS"], images=1)
    seen["text"] = "PASS"
    with pytest.raises(AssertionError):
        assert_seen_as_a_page(seen, ["PASS"], images=1)


def test_passing_check_report_renders_badges_and_the_headroom_plot(tmp_path):
    from check_docs import check_result, document

    from brian2_harness.reports.check_report import write_check_report
    paths = write_check_report(document(check_result("/m/ok.py"), check_result("/m/b.py", built="cuda_standalone")),
                               tmp_path)
    seen = browser.render(paths["html"])
    assert_seen_as_a_page(seen, ["AGREE", "REFERENCE", "BUILT"], images=2)
    assert "headroom of ok.py" in [i["alt"] for i in seen["images"]]


def test_failing_check_report_renders_badges_and_the_difference_plots(tmp_path):
    from check_docs import check_result, document

    from brian2_harness.reports.check_report import write_check_report
    paths = write_check_report(document(check_result(differ=True), check_result("/m/s.py", extra_spike=True)),
                               tmp_path)
    seen = browser.render(paths["html"])
    assert_seen_as_a_page(seen, ["FAIL", "REFERENCE"], images=2)
    alts = [i["alt"] for i in seen["images"]]
    assert "first difference of cpp_standalone in my_model.py" in alts
    assert "first difference of cpp_standalone in s.py" in alts
    assert "device value -0.069 V vs reference value -0.07 V" in seen["text"]
