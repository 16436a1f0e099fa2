"""The `brian2-harness` command line. Exit codes: 0 all good, 1 a cell failed/errored or a required
device did not run (or nothing ran), 2 usage error. Usage errors print one line; `--debug` shows tracebacks."""
from __future__ import annotations

import argparse
import json
import sys

from brian2_harness import registry, variant_sources
from brian2_harness.cli import outputs
from brian2_harness.check import cli as check_cli
from brian2_harness.cli import check_outputs
from brian2_harness.cli.common import EXIT_FAIL, EXIT_OK, EXIT_USAGE, _Parser  # noqa: F401
from brian2_harness.cli.run import cmd_run, load_case_file, write_repro  # noqa: F401  (public for tests and tools)
from brian2_harness.devices import CPU_DEVICES, all_devices
from brian2_harness.errors import UsageError
from brian2_harness.reports import junit, merge
from brian2_harness.reports import render as html_report
from brian2_harness.run import slots
from brian2_harness.tools import bench, doctor
from brian2_harness.upgrade import commands as upgrade_commands
from brian2_harness.upgrade import corpus


def _add_common(p):
    p.add_argument("--plugin", action="append", default=[], metavar="FILE.py",
                   help="Python file that registers variants (repeatable)")


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="brian2-harness", description="Cross-backend verification of Brian2 weight-normalization models")
    p.add_argument("--debug", action="store_true", help="show tracebacks for usage errors")
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)

    ls = sub.add_parser("list", help="variants and devices (with availability)")
    _add_common(ls)
    ls.add_argument("--json", action="store_true", help="machine-readable output")

    run = sub.add_parser("run", help="run the verification matrix")
    _add_common(run)
    run.add_argument("--variants", default="all", help="comma-separated variant names, 'all' (every built-in) or a family name (its built-ins)")
    run.add_argument("--devices", default=",".join(CPU_DEVICES), help="comma-separated device names")
    run.add_argument("--dtype", default="float64", help="float64, float32 or both (comma-separated)")
    run.add_argument("--cases", type=int, default=20, help="number of generated cases (default 20)")
    run.add_argument("--seed", type=int, default=0, help="seed of the case generator")
    run.add_argument("--case-file", help="JSON file with a list of cases instead of generated ones")
    run.add_argument("--default-case", action="store_true", help="also include the documented default case")
    run.add_argument("--schedule", default="default",
                     help="'default' (dt 0.1 ms, period 1 s, 3 s: one batch), 'mixed' (several short schedules) "
                          "or DT,PERIOD,DURATION in seconds")
    run.add_argument("--against", choices=["aligned", "lagged"], help="check against this oracle instead of each variant's claim")
    run.add_argument("--require-lag-visible", action="store_true",
                     help="fail a cell whose detection limit cannot see a one-step schedule lag (|g|*dt) on every neuron")
    run.add_argument("--require", default="", help="comma-separated devices that must run (missing = failure)")
    run.add_argument("--timeout", type=float, default=900.0, help="seconds per worker process (default 900)")
    run.add_argument("--jobs", type=int, default=None, help="parallel worker processes (default: cores, max 4)")
    run.add_argument("--cache-dir", help="build and cache folder (default ~/.cache/brian2-harness)")
    run.add_argument("--keep-builds", action="store_true", help="keep build folders of passing cells")
    run.add_argument("--no-cache", action="store_true", help="fresh standalone build folders (compile every cell)")
    run.add_argument("--max-synapses", type=int, default=200_000, help="reject a case with more synapses (default 200000)")
    run.add_argument("--max-memory-mb", type=float, default=2048.0, help="reject a case whose estimated memory is larger (MB)")
    run.add_argument("--json", dest="json_out", metavar="OUT", help="write all cells as JSON")
    run.add_argument("--quiet", action="store_true", help="no progress lines")
    run.add_argument("--fresh-workers", action="store_true",
                     help="one worker process per job (default: long-lived workers that reset Brian between jobs; a "
                          "worker whose job failed is never reused)")
    run.add_argument("--profile", action="store_true",
                     help="print where the time went: per device (start-up, setup, code generation + run, compile, "
                          "binary) and in the parent (generation, judging)")
    run.add_argument("--report", metavar="DIR", help="also write an HTML + Markdown report (index.html, summary.md) into DIR")
    run.add_argument("--junit", metavar="FILE", help="also write JUnit XML, one testcase per cell")

    for module in (html_report, junit, merge, doctor, bench, corpus, upgrade_commands):
        module.add_parser(sub)
    check_outputs.add_arguments(check_cli.add_parser(sub))
    return p


def cmd_list(args) -> int:
    variant_sources.load_all(args.plugin)
    variants = [dict(name=v.name, family=v.family, semantics=v.semantics,
                     devices=list(v.devices) if v.devices else [d.name for d in all_devices()],
                     description=v.description, source=v.source) for v in registry.all_variants()]
    devices = []
    for d in all_devices():
        pr = d.probe()
        devices.append(dict(name=d.name, mode=pr.mode, reason=pr.reason, description=d.description))
    sched = slots.scheduling()
    if args.json:
        print(json.dumps({"variants": variants, "devices": devices, "scheduling": sched}, indent=1))
        return EXIT_OK
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table
    console = Console(width=None if sys.stdout.isatty() else 200)
    t = Table(title="variants")
    for col in ("name", "family", "semantics", "devices", "description"):
        t.add_column(col, overflow="fold")
    for v in variants:   # data, not markup: "[cuda]" or "w[i]" must print as written
        t.add_row(*(escape(x) for x in (v["name"], v["family"], v["semantics"] or "(device vs device)",
                                        ",".join(v["devices"]), v["description"] or "")))
    console.print(t)
    t = Table(title="devices")
    for col in ("name", "mode", "reason"):
        t.add_column(col, overflow="fold")
    for d in devices:
        t.add_row(escape(d["name"]), escape(d["mode"]), escape(d["reason"]))
    console.print(t)
    console.print(escape(slots.scheduling_line(sched)), soft_wrap=True)
    return EXIT_OK


COMMANDS = {"list": cmd_list, "run": cmd_run, "report": check_outputs.cmd_report, "junit": check_outputs.cmd_junit,
            "merge": merge.run, "doctor": doctor.run, "bench": bench.run, "corpus": corpus.run,
            "record": upgrade_commands.run, "compare": upgrade_commands.run,
            "history": upgrade_commands.run, "check": check_outputs.cmd_check}


def _interrupt(signum, frame):
    raise KeyboardInterrupt


def _install_interrupt_handlers() -> None:
    """Ctrl-C and SIGTERM interrupt a run cleanly, even when the parent started us with SIGINT ignored
    (as non-interactive shells do for background jobs)."""
    import signal
    import threading
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, signal.default_int_handler)
        signal.signal(signal.SIGTERM, _interrupt)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    debug = "--debug" in argv
    try:
        args = build_parser().parse_args(argv)
        outputs.validate(args)          # before any work: a bad output path must not cost a run or an input
        return COMMANDS[args.command](args)
    except UsageError as exc:
        if debug:
            raise
        print(f"brian2-harness: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("brian2-harness: interrupted", file=sys.stderr)
        return EXIT_FAIL


def entry() -> int:
    """Console-script entry point: the process is ours, so we own its signal handling."""
    _install_interrupt_handlers()
    return main()


if __name__ == "__main__":
    sys.exit(entry())
