import sys

from brian2_harness.entry import entry

sys.exit(entry())
