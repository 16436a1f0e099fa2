"""Options of `report`, `junit` and `merge`: documents written by `run --json` turned into pages, XML, one
document. The commands themselves live beside their logic in reports/."""
from __future__ import annotations

from brian2_harness.reports import junit, merge, render
from brian2_harness.reports.context import MAX_FAILURES


def add_parser(subparsers) -> None:
    p = subparsers.add_parser("report", help="HTML + Markdown report (with plots of failing cells) from run --json")
    p.add_argument("results", metavar="RESULTS.json", help="document written by `run --json` (or `merge`)")
    p.add_argument("--out", required=True, metavar="DIR", help="folder for index.html and summary.md")
    p.add_argument("--max-failures", type=int, default=MAX_FAILURES,
                   help=f"failing cells shown in detail (default {MAX_FAILURES})")

    p = subparsers.add_parser("junit", help="JUnit XML (one testcase per cell) from run --json")
    p.add_argument("results", metavar="RESULTS.json", help="document written by `run --json` (or `merge`)")
    p.add_argument("--out", required=True, metavar="FILE.xml", help="JUnit XML file to write")

    p = subparsers.add_parser("merge", help="combine results documents (e.g. a CPU and a GPU job) into one")
    p.add_argument("inputs", nargs="+", metavar="RESULTS.json", help="documents written by `run --json`")
    p.add_argument("--out", required=True, metavar="ALL.json", help="merged document (written atomically)")


COMMANDS = {"report": render.run, "junit": junit.run, "merge": merge.run}
