"""Options of `report`, `junit` and `merge`: documents written by `run --json` or `check --json` turned into pages,
XML, one document. The commands live beside their logic in reports/ (check documents: cli/check_outputs.py)."""
from __future__ import annotations

from brian2_harness.cli import check_outputs
from brian2_harness.reports import merge
from brian2_harness.reports.context import MAX_FAILURES


def add_parser(subparsers) -> None:
    p = subparsers.add_parser("report", help="HTML + Markdown report (with plots of failing cells) from run --json")
    p.add_argument("results", metavar="RESULTS.json",
                   help="document written by `run --json`, `check --json` or `merge`")
    p.add_argument("--out", required=True, metavar="DIR", help="folder for index.html and summary.md")
    p.add_argument("--max-failures", type=int, default=MAX_FAILURES,
                   help=f"failing cells shown in detail (default {MAX_FAILURES})")

    p = subparsers.add_parser("junit", help="JUnit XML (one testcase per cell) from run --json")
    p.add_argument("results", metavar="RESULTS.json",
                   help="document written by `run --json`, `check --json` or `merge`")
    p.add_argument("--out", required=True, metavar="FILE.xml", help="JUnit XML file to write")

    p = subparsers.add_parser("merge", help="combine results documents (e.g. a CPU and a GPU job) into one")
    p.add_argument("inputs", nargs="+", metavar="RESULTS.json",
                   help="documents written by `run --json`, or by `check --json`")
    p.add_argument("--out", required=True, metavar="ALL.json", help="merged document (written atomically)")


COMMANDS = {"report": check_outputs.cmd_report, "junit": check_outputs.cmd_junit, "merge": merge.run}
