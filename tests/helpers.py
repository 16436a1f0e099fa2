"""Shared helpers for tests that run Brian through the harness."""
from conftest import MUTANTS

from brian2_harness import variant_sources
from brian2_harness.cells.verdict import ERROR, FAIL, PASS
from brian2_harness.devices import CPU_DEVICES
from brian2_harness.run import RunConfig, execute

BUILTIN = ["netop_reference", "summed_seed", "summed_aligned", "summed_every_step"]


def run_matrix(cases, variants=BUILTIN, devices=CPU_DEVICES, dtypes=("float64",), plugins=(MUTANTS,),
               against=None, require=True, isolate_failures=0, **kw):
    variant_sources.load_all(list(plugins))
    cases = list(cases) + list(kw.pop("meta_cases", None) or [])    # cases of every family, mixed
    cfg = RunConfig(variants=list(variants), devices=list(devices), dtypes=list(dtypes), cases=list(cases),
                    plugins=list(plugins), against=against, require=set(devices) if require else set(),
                    isolate_failures=isolate_failures, **kw)
    result = execute(cfg)
    _tally(result, cases)
    assert not result.missing_required(cfg.require), [
        (v.device, v.reason) for v in result.verdicts if v.verdict not in (PASS, FAIL)][:5]
    return result


def cells(result, verdict=None, **match):
    return [v for v in result.verdicts
            if (verdict is None or v.verdict == verdict) and all(getattr(v, k) == x for k, x in match.items())]


def problems(result):
    return [(v.variant, v.device, v.dtype, v.case_id, v.verdict, v.reason[:300])
            for v in result.verdicts if v.verdict in (FAIL, ERROR)]


def _tally(result, cases) -> None:
    """Append this run's counts for the session summary (conftest.pytest_terminal_summary)."""
    import json
    import os
    folder = os.environ.get("BRIAN2_HARNESS_TEST_TALLY")
    if not folder:
        return
    row = {"runs": 1, "cases": len({c.name for c in cases}) or 1, "cells": len(result.verdicts),
           "pass": len([v for v in result.verdicts if v.verdict == PASS]),
           "fail": len([v for v in result.verdicts if v.verdict == FAIL])}
    with open(os.path.join(folder, f"{os.getpid()}.jsonl"), "a") as f:
        f.write(json.dumps(row) + "\n")
