"""What `check` writes, and `report` / `junit` on either kind of document (`run --json` results or a `check --json`
document, told apart by its format tag).

The check document is built in check/document.py; HTML, Markdown and JUnit are rendered by reports/ from that
document, exactly as `report` / `junit` render it later from the JSON file.
"""
from __future__ import annotations

import json

from brian2_harness.atomic import write_output
from brian2_harness.reports import junit
from brian2_harness.reports import render as html_report
from brian2_harness.reports.check_junit import write_check_junit
from brian2_harness.reports.check_report import write_check_report
from brian2_harness.reports.merge import load_any


def write_outputs(doc: dict, *, json_out=None, junit_out=None, report_dir=None, markdown_out=None,
                  after: str = "") -> None:
    """The artifacts of one check document (each written atomically; an unwritable path is a usage error)."""
    if json_out:
        write_output(json_out, json.dumps(doc, indent=1, default=str), "--json", after=after)
    if junit_out:
        write_check_junit(doc, junit_out)
    if report_dir or markdown_out:
        write_check_report(doc, report_dir, markdown_file=markdown_out)


def cmd_report(args) -> int:
    """`report FILE.json --out DIR`: the HTML + Markdown report of a run results or a check document."""
    kind, doc = load_any(args.results)
    if kind == "results":
        return html_report.cmd_report(args)
    paths = write_check_report(doc, args.out)
    print(f"report: {paths['html']} and {paths['markdown']}")
    return 0


def cmd_junit(args) -> int:
    """`junit FILE.json --out FILE.xml`: JUnit XML of a run results or a check document."""
    kind, doc = load_any(args.results)
    if kind == "results":
        return junit.cmd_junit(args)
    write_check_junit(doc, args.out)
    print(f"junit: {args.out}")
    return 0
