"""What every command shares: the argument parser that turns errors into usage errors, CSV lists, exit codes."""
from __future__ import annotations

import argparse

from brian2_harness.errors import UsageError

EXIT_OK, EXIT_FAIL, EXIT_USAGE = 0, 1, 2


class _Parser(argparse.ArgumentParser):
    def error(self, message):
        raise UsageError(message)


