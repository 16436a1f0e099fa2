import sys

from brian2_harness.cli import entry

sys.exit(entry())
