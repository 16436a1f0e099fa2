"""The campaign's Markdown report (OUT/report.md; report_html.py writes report.html from the same summary): what
ran, findings with their minimal script and triage, and coverage per feature (configured share next to the share
of checked models whose script shows the feature). Each finding shows its plot (findings/<id>/plot.png, plot.py)
or why it has none."""
from __future__ import annotations

import os

from . import plot as plots
from . import report_html
from .features import FEATURES
from .report_html import first_times


def render(summary: dict) -> str:
    s = summary["stats"]
    models = s["models"] or 1
    found = summary["findings"]
    lines = [f"# fuzz campaign: brian2 {summary['release'] or '?'} on {', '.join(summary['devices'])}", "",
             f"- seed {summary['seed']}, {summary['pack']} models per script, budget {summary['budget_s'] / 60:g} min,"
             f" ran {summary['seconds']:.0f} s",
             f"- models checked: {s['models']} in {s['packs']} scripts ({summary['models_per_minute']:g} per minute); "
             f"invalid (the reference refused them: the generator's fault): {s['invalid']}",
             f"- disagreeing models: {s['disagreements']} ({s['duplicates']} of them repeats of a finding)",
             f"- scripts that timed out on a device (their {s.get('unchecked', 0)} models unchecked there): "
             f"{len(s.get('timed_out', []))}"
             + (f" ({'; '.join(s['timed_out'])})" if s.get("timed_out") else ""),
             f"- scripts a device refused (Brian's reason; their {s.get('refused_models', 0)} models compared on the "
             f"other devices only, {s.get('uncompared_models', 0)} of them on none: every device but the reference "
             f"refused): {len(s.get('refused', []))}"
             + (f" ({'; '.join(s['refused'][:3])}{' ...' if len(s['refused']) > 3 else ''})"
                if s.get("refused") else ""),
             f"- findings: {len(found)}; new in this campaign: {len(summary['new'])}; time to the first: "
             + first_times(s), ""]
    by_class: dict = {}
    for f in found:
        key = "flaky" if f["status"] == "flaky" else f["triage"].get("class", "?")
        by_class[key] = by_class.get(key, 0) + 1
    lines += ["| class | findings |", "|---|---|"]
    lines += [f"| {c} | {n} |" for c, n in sorted(by_class.items())] or ["| - | 0 |"]
    lines += ["", "## Findings", ""]
    if not found:
        lines.append("None.")
    for f in found:
        t = f["triage"]
        lines += [f"### {f['id']}: {t.get('class')} ({t.get('rule')}){' - FLAKY' if f['status'] == 'flaky' else ''}",
                  "", f"- devices: {', '.join(f['devices'])} vs {f['reference']} ({f['outcome']}); "
                  f"brian2 {f['release']}; seen {f['occurrences']} time(s)",
                  f"- failing: {', '.join(f['observables']) or '-'}", f"- features: {', '.join(f['features'])}",
                  f"- {f['script_lines']} lines (shrunk from {f['shrink']['original_lines']}, "
                  f"{f['shrink']['candidates']} candidates run, {f['shrink']['seconds']:.0f} s); found after "
                  f"{f['found_after_s']:.0f} s",
                  f"- triage: {t.get('reason')}" + (f" (source: {t['source']})" if t.get("source") else ""),
                  f"- verdict: {f['detail'][:400]}", ""]
        path, caption = summary.get("plots", {}).get(f["id"]) or (None, "none recorded")
        lines += [f"![{f['id']}: {caption}]({path})" if path else f"- no plot: {caption}", "",
                  f"`findings/{f['id']}/script.py` (`python script.py`, `brian2-harness check script.py --devices "
                  f"{','.join([f['reference']] + f['devices'])}`):", "", "```python"]
        script = summary.get("scripts", {}).get(f["id"], "")
        lines += [script.rstrip(), "```", ""]
    lines += ["## Coverage per feature", "", "| feature | share (configured) | models showing it | what |",
              "|---|---|---|---|"]
    cov = s["coverage"]
    for name, (_, what) in FEATURES.items():
        lines.append(f"| {name} | {summary['shares'].get(name, 0):g} | {cov.get(name, 0)} "
                     f"({100 * cov.get(name, 0) / models:.0f} %) | {what} |")
    return "\n".join(lines) + "\n"


def write(out: str, summary: dict) -> str:
    scripts = {}
    for f in summary["findings"]:
        path = os.path.join(out, "findings", f["id"], "script.py")
        if os.path.isfile(path):
            with open(path) as fh:
                scripts[f["id"]] = fh.read()
    figures = {f["id"]: plots.describe(out, f) for f in summary["findings"]}
    path = os.path.join(out, "report.md")
    with open(path, "w") as fh:
        fh.write(render(dict(summary, scripts=scripts, plots=figures)))
    report_html.write(out, summary, scripts, figures)
    return path
