"""What every command shares: the argument parser that turns errors into usage errors, the --plugin option,
exit codes."""
from __future__ import annotations

import argparse

from brian2_harness.errors import UsageError

EXIT_OK, EXIT_FAIL, EXIT_USAGE = 0, 1, 2


class _Parser(argparse.ArgumentParser):
    def error(self, message):
        raise UsageError(message)


def add_plugin_option(p, what: str = "variants") -> None:
    p.add_argument("--plugin", action="append", default=[], metavar="FILE.py",
                   help=f"Python file that registers {what} (repeatable)")


