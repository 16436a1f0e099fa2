"""`check`'s process paths in one run, on the same scripts: today's (`--fresh-processes`: a fresh interpreter per
device call, a build per standalone seed) vs the process server with standalone seeds from one build, next to a
plain `python script.py`; medians of ROUNDS interleaved runs after a warm-up (warm build cache).

    python ci/check_speed_bench.py [--rounds 2] [--case readme --case stat-power]

Prints each timing as it goes, then a Markdown table (harness/check/bench.py: check_paths, paths_table).
"""
from __future__ import annotations

import argparse
import datetime
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from brian2_harness.check.bench import check_paths, paths_table  # noqa: E402


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--rounds", type=int, default=2)
    p.add_argument("--case", action="append", help="only the cases whose label contains this word (repeatable; "
                                                   "'README', 'stat-power', 'normalization')")
    args = p.parse_args()
    print(f"{datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC, {os.cpu_count()} cores, "
          f"load average {os.getloadavg()[0]:.1f}", flush=True)
    rows = check_paths(args.rounds, log=lambda text: print(text, flush=True), cases=args.case)
    if not rows:
        p.error(f"--case {args.case}: no case's label contains it")
    print(paths_table(rows))
    print(f"load average at the end {os.getloadavg()[0]:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
