"""What a run is asked to do: variants, devices, dtypes, cases (of any family), limits and policies."""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from brian2_harness.cells.replay import REFERENCE_DEVICE  # noqa: F401  (the run's reference: the replay's)
from brian2_harness.plumbing.cachedirs import default_cache_dir, default_compiled_dir

BUILT_REASON = "built, not run: no GPU"




@dataclass
class RunConfig:
    variants: list[str]
    devices: list[str]
    dtypes: list[str]
    cases: list                      # cases of every family, mixed (RunConfig.cases_for picks)
    require: set[str] = field(default_factory=set)
    plugins: list[str] = field(default_factory=list)
    against: str | None = None       # check every variant against this oracle schedule instead of its claim
    timeout: float = 900.0           # seconds per worker process
    jobs: int = max(1, min(os.cpu_count() or 1, 4))
    cache_dir: Path = field(default_factory=default_cache_dir)
    # content-addressed compiled code (Cython extensions, locked by Brian), safe to share between cache dirs and
    # processes; None: inside cache_dir
    compiled_dir: Path | None = field(default_factory=lambda: default_compiled_dir())
    keep_builds: bool = False
    use_cache: bool = True           # reuse standalone build folders (see buildcache.py)
    isolate_failures: int = 3        # failing cases of a batch re-run alone, per (variant, device, dtype)
    require_lag_visible: bool = False  # a cell that cannot see a one-step lag fails
    reuse_workers: bool = True       # long-lived worker processes (run/pool.py); False: one process per job

    def cases_for(self, family) -> list:
        """The run's cases that belong to `family` (a Family): those of its case type."""
        kind = type(family.default_case())
        return [c for c in self.cases if isinstance(c, kind)]
