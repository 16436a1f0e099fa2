"""`brian2-harness check`: the arguments for required devices and outputs, and the command that writes them;
`report` and `junit` on either kind of document (`run --json` results or a `check --json` document).

The checks themselves run in check/ (check/cli.py: validation, printing); the versioned JSON document is built
there (check/document.py), and HTML, Markdown and JUnit are rendered by reports/ from that document, exactly as
`report` / `junit` render it later from the JSON file.
"""
from __future__ import annotations

import json

from brian2_harness.atomic import atomic_write_text
from brian2_harness.check import cli as check_cli
from brian2_harness.check.document import check_document
from brian2_harness.check.exact import Tolerance
from brian2_harness.cli.common import EXIT_FAIL, _csv
from brian2_harness.errors import UsageError
from brian2_harness.reports import junit
from brian2_harness.reports import render as html_report
from brian2_harness.reports.check_junit import write_check_junit
from brian2_harness.reports.check_report import write_check_report
from brian2_harness.reports.merge import load_any
from brian2_harness.tools.environment import environment


def add_arguments(p) -> None:
    p.add_argument("--require", default="", metavar="DEV,...",
                   help="devices that must run: one that did not (unavailable, skipped, or only built because "
                        "there is no GPU) fails the script instead of being skipped")
    p.add_argument("--junit", metavar="FILE.xml", help="also write JUnit XML (one testcase per script and device)")
    p.add_argument("--report", metavar="DIR", help="also write an HTML + Markdown report (index.html, summary.md)")
    p.add_argument("--markdown", metavar="FILE.md", help="also write the Markdown summary to this file")


def _required(args) -> list[str]:
    devices = _csv(args.devices)
    required = _csv(args.require)
    for d in required:
        if d not in devices:
            raise UsageError(f"--require: device '{d}' is not among --devices ({', '.join(devices)})")
    return required


def _config(args, required) -> dict:
    return {"devices": _csv(args.devices), "require": required, "mode": args.mode, "seeds": args.seeds,
            "seed": args.seed, "alpha": args.alpha, "duration_cap": args.duration_cap, "observe": _csv(args.observe),
            "rtol": args.rtol, "atol": args.atol, "tol": list(args.tol),
            "max_spike_mismatch": args.max_spike_mismatch, "script_for": list(args.script_for)}


def cmd_check(args) -> int:
    required = _required(args)     # output paths: checked by cli/outputs.py before any command starts
    results, stopped = check_cli.run_checks(args, required)
    tolerance = Tolerance(rtol=args.rtol, atol=args.atol, per=check_cli.parse_tolerances(args.tol),
                          max_spike_mismatch=args.max_spike_mismatch)
    env = environment()
    env["compiler"] = env.get("gcc")
    doc = check_document(results, environment=env, config=_config(args, required), tolerance=tolerance,
                         interrupted=stopped)
    try:
        write_outputs(doc, json_out=args.json_out, junit_out=args.junit, report_dir=args.report,
                      markdown_out=args.markdown)
    except UsageError as exc:     # paths were checked before the run (cli/outputs.py); a disk that filled meanwhile
        raise UsageError(f"{exc}; the verdicts above are the results") from None
    if stopped:
        check_cli.say_interrupted(results, stopped, args.scripts, args.json_out)
    if doc["required_missing"]:
        print(f"required device(s) did not run: {', '.join(doc['required_missing'])}")
        return EXIT_FAIL
    return check_cli.exit_code(results, stopped)


def write_outputs(doc: dict, *, json_out=None, junit_out=None, report_dir=None, markdown_out=None) -> None:
    """The artifacts of one check document (each written atomically; an unwritable path is a usage error)."""
    if json_out:
        try:
            atomic_write_text(json_out, json.dumps(doc, indent=1, default=str))
        except OSError as exc:
            raise UsageError(f"--json '{json_out}': {exc.strerror or exc}") from None
    if junit_out:
        write_check_junit(doc, junit_out)
    if report_dir or markdown_out:
        write_check_report(doc, report_dir, markdown_file=markdown_out)


def cmd_report(args) -> int:
    """`report FILE.json --out DIR`: the HTML + Markdown report of a run results or a check document."""
    kind, doc = load_any(args.results)
    if kind == "results":
        return html_report.run(args)
    paths = write_check_report(doc, args.out)
    print(f"report: {paths['html']} and {paths['markdown']}")
    return 0


def cmd_junit(args) -> int:
    """`junit FILE.json --out FILE.xml`: JUnit XML of a run results or a check document."""
    kind, doc = load_any(args.results)
    if kind == "results":
        return junit.run(args)
    write_check_junit(doc, args.out)
    print(f"junit: {args.out}")
    return 0
