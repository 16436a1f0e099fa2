"""The `brian2-harness` command line. Exit codes: 0 all good, 1 a cell failed/errored or a required
device did not run (or nothing ran), 2 usage error. Usage errors print one line; `--debug` shows tracebacks.

Every command's options are defined in this package (one module per group of commands); `build_parser()` returns
the whole parser, which the documentation's command-line reference is generated from."""
from __future__ import annotations

import argparse
import sys

from brian2_harness.cli import check, fuzz, listing, outputs, reports, tools, upgrade
from brian2_harness.cli import run as run_command
from brian2_harness.cli.common import EXIT_FAIL, EXIT_USAGE, _Parser
from brian2_harness.errors import UsageError

GROUPS = (listing, run_command, reports, tools, upgrade, check, fuzz)   # each: add_parser(subparsers), COMMANDS
COMMANDS = {name: command for group in GROUPS for name, command in group.COMMANDS.items()}


def build_parser() -> argparse.ArgumentParser:
    """The full `brian2-harness` parser with every subcommand (used by `main` and by the docs)."""
    p = _Parser(prog="brian2-harness",
                description="Checks that a Brian2 model means the same on every backend (numpy, cython, "
                            "cpp_standalone, cuda_standalone). `check SCRIPT.py` runs any Brian2 script, unmodified, "
                            "on several devices and compares what it recorded; `run` verifies the built-in "
                            "weight-normalization models (and plugin families) against Brian-free oracles.")
    p.add_argument("--debug", action="store_true", help="show tracebacks for usage errors")
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)
    for group in GROUPS:
        group.add_parser(sub)
    return p


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


class _ClosedPipeSafe:
    """stdout that keeps working when its reader goes away (`brian2-harness check ... | head`): the rest of the
    output is dropped, but the command finishes what it writes to files (--json, --record) and keeps its exit
    status, instead of dying in a print with a BrokenPipeError traceback."""

    def __init__(self, stream):
        self._stream, self.closed_pipe = stream, False

    def write(self, text):
        if not self.closed_pipe:
            try:
                return self._stream.write(text)
            except BrokenPipeError:
                self._drop()
        return len(text)

    def flush(self):
        if not self.closed_pipe:
            try:
                self._stream.flush()
            except BrokenPipeError:
                self._drop()

    def _drop(self):
        self.closed_pipe = True
        import os
        devnull = os.open(os.devnull, os.O_WRONLY)    # what Python flushes at exit goes nowhere, not to a traceback
        os.dup2(devnull, self._stream.fileno())
        os.close(devnull)

    def __getattr__(self, name):
        return getattr(self._stream, name)


def entry() -> int:
    """Console-script entry point: the process is ours, so we own its signal handling and its stdout."""
    _install_interrupt_handlers()
    sys.stdout = _ClosedPipeSafe(sys.stdout)
    return main()


if __name__ == "__main__":
    sys.exit(entry())
