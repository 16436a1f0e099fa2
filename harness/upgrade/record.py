"""Record: run the matrix on a corpus and build the baseline of everything it observed."""
from __future__ import annotations

import os
import time

from brian2_harness import registry
from brian2_harness.errors import UsageError
from brian2_harness.families import get_family
from brian2_harness.run import RunConfig, default_cache_dir, execute
from brian2_harness.tools.environment import environment
from brian2_harness.upgrade.baseline import build_baseline
from brian2_harness.upgrade.corpus import Corpus
from brian2_harness.upgrade.probe import probe_private_api


def _run_config(corpus: Corpus, variants, devices, dtypes, *, plugins=(), jobs=None, timeout=900.0, cache_dir=None):
    from pathlib import Path

    cfg = RunConfig(variants=list(variants), devices=list(devices), dtypes=list(dtypes),
                    cases=[c for cs in corpus.cases.values() for c in cs], plugins=list(plugins), timeout=timeout,
                    cache_dir=Path(cache_dir) if cache_dir else default_cache_dir())
    if jobs is not None:
        if jobs < 1:
            raise UsageError(f"--jobs must be >= 1, got {jobs}")
        cfg.jobs = jobs
    if timeout <= 0:
        raise UsageError(f"--timeout must be > 0 seconds, got {timeout}")
    cfg.isolate_failures = 0     # a baseline records what ran; no re-runs of single cases
    return cfg


def _private_names(variants) -> set[str]:
    return {a for n in variants for a in getattr(registry.get(n), "private_api", ())}


def record(corpus: Corpus, variants, devices, dtypes, *, plugins=(), jobs=None, timeout=900.0, cache_dir=None,
           progress=None):
    """Run the matrix on the corpus; returns (Baseline, RunResult). Nothing is written here."""

    for n in variants:
        fam = registry.get(n).family
        if get_family(fam).has_cases and not corpus.cases_of(fam):
            raise UsageError(f"variant '{n}' is of the {fam} family, but the corpus has no {fam} cases")
    cfg = _run_config(corpus, variants, devices, dtypes, plugins=plugins, jobs=jobs, timeout=timeout,
                      cache_dir=cache_dir)
    t0 = time.perf_counter()
    result = execute(cfg, progress=progress)
    probe = probe_private_api(_private_names(variants))
    config = {"variants": list(variants), "devices": list(devices), "dtypes": list(dtypes),
              "plugins": [os.path.abspath(p) for p in plugins]}
    baseline = build_baseline(result, corpus, config, environment=environment(), private_api=probe,
                              seconds=time.perf_counter() - t0)
    return baseline, result


