"""The campaign's HTML report (OUT/report.html), from the same summary as report.md: counts, findings by class,
each finding with its minimal script, triage and plot (findings/<id>/plot.png as an image, or why there is
none), and coverage per feature with a bar per feature. Every value is
escaped (the reports' Jinja2 environment with autoescape): a script's text is shown, never interpreted."""
from __future__ import annotations

import os

from ..atomic import atomic_write_text
from ..reports.render import css, environment
from .features import FEATURES


def first_times(stats: dict) -> str:
    """'none', or when the first finding was saved (shrunk) and when its disagreement was first seen."""
    if stats.get("first_finding_s") is None:
        return "none"
    seen = stats.get("first_disagreement_s")
    return f"{stats['first_finding_s']:.0f} s" + (f" (its disagreement seen after {seen:.0f} s, when its pack was "
                                                    "checked; the rest is shrinking)" if seen is not None else "")


def context(summary: dict, scripts: dict, plots: dict | None = None) -> dict:
    """`plots`: finding id -> (path relative to OUT or None, caption or why there is no plot) (plot.describe)."""
    s = summary["stats"]
    models = s["models"] or 1
    by_class: dict = {}
    for f in summary["findings"]:
        key = "flaky" if f["status"] == "flaky" else f["triage"].get("class", "?")
        by_class[key] = by_class.get(key, 0) + 1
    coverage = [dict(name=name, share=summary["shares"].get(name, 0), count=s["coverage"].get(name, 0),
                     percent=100 * s["coverage"].get(name, 0) / models, what=what)
                for name, (_, what) in FEATURES.items()]
    first = first_times(s)
    return dict(s=summary, st=s, findings=summary["findings"], by_class=sorted(by_class.items()),
                coverage=coverage, scripts=scripts, first=first, plots=plots or {})


def write(out: str, summary: dict, scripts: dict, plots: dict | None = None) -> str:
    path = os.path.join(out, "report.html")
    html = environment(True).get_template("fuzz_report.html.j2").render(css=css(),
                                                                        **context(summary, scripts, plots))
    atomic_write_text(path, html)
    return path
