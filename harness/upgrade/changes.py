"""Compare: rerun a baseline's cells with what is installed now and classify every cell (see STATUSES)."""
from __future__ import annotations

import os
import time
from dataclasses import dataclass, field

import numpy as np

from brian2_harness import registry, variant_sources
from brian2_harness.cells.verdict import BUILT, ERROR, FAIL, PASS, SKIP
from brian2_harness.devices import get_device
from brian2_harness.errors import UsageError
from brian2_harness.families import get_family
from brian2_harness.families.comparison import Comparison
from brian2_harness.nonfinite import differences
from brian2_harness.run import RunResult, execute
from brian2_harness.tools.environment import environment
from brian2_harness.upgrade.baseline import COMPARISON_FORMAT, Baseline, cells_from_result
from brian2_harness.upgrade.causes import attribute, shared_causes
from brian2_harness.upgrade.corpus import Corpus
from brian2_harness.upgrade.drift import describe, oracle_drift
from brian2_harness.upgrade.probe import probe_private_api
from brian2_harness.upgrade.record import _private_names, _run_config

IDENTICAL = "identical"                       # every stored array bit-identical
WITHIN = "within tolerance"                   # values differ, within the family's tolerance
CHANGED = "changed beyond tolerance"
NEW_FAIL = "newly failing"                    # verdict was pass, now fail
NEW_ERROR = "newly erroring"                  # produced results before, errors now
GONE = "no longer available"                  # variant/device gone, skipped now, or only built now
NO_RESULT = "unchanged, no result"            # skipped/errored/built in the baseline and still no result
NOW_RUNS = "now runs"                         # no result in the baseline, results now (nothing to compare)
STATUSES = (IDENTICAL, WITHIN, CHANGED, NEW_FAIL, NEW_ERROR, GONE, NO_RESULT, NOW_RUNS)
REGRESSIONS = (CHANGED, NEW_FAIL, NEW_ERROR, GONE)
_WORST_FIRST = (NEW_ERROR, NEW_FAIL, CHANGED, GONE, NOW_RUNS, WITHIN, NO_RESULT, IDENTICAL)
STYLE = {IDENTICAL: "green", WITHIN: "cyan", CHANGED: "bold red", NEW_FAIL: "bold red", NEW_ERROR: "bold magenta",
         GONE: "bold yellow", NO_RESULT: "dim", NOW_RUNS: "blue"}
CELL_KEYS = ("variant", "device", "dtype", "case_id", "verdict")





@dataclass
class CellChange:
    variant: str
    device: str
    dtype: str
    case_id: str
    status: str
    baseline_verdict: str
    verdict: str | None            # now (None: not run now)
    max_abs_err: float | None = None     # largest |now - baseline| over the stored observables
    tolerance: float | None = None
    detail: str = ""
    private_api: list = field(default_factory=list)
    ratio: float | None = None           # |now - baseline| / the cell's bound (the family's comparison; < 1: within)
    cause: str = ""                      # why it regressed, when known (causes.py)
    private_blamed: bool = False         # the evidence points to the private Brian API (causes.py)
    oracle: dict | None = None           # both versions against the oracle, for cells whose values differ (drift.py)

    def to_dict(self) -> dict:
        return dict(self.__dict__)


def _identical(a: dict, b: dict) -> bool:
    if set(a) != set(b):
        return False
    for k in a:
        x, y = np.asarray(a[k]), np.asarray(b[k])
        if x.dtype != y.dtype or x.shape != y.shape:
            return False
        if not np.array_equal(x, y, equal_nan=x.dtype.kind in "fc"):
            return False
    return True


def _max_diff(a: dict, b: dict) -> float:
    out = 0.0
    for k in set(a) & set(b):
        x, y = np.asarray(a[k], dtype=np.float64), np.asarray(b[k], dtype=np.float64)
        if x.shape != y.shape:
            return float("inf")
        if x.size:
            out = max(out, float(np.max(differences(x, y))))     # nonfinite.py: NaN/inf on one side only is inf
    return out if set(a) == set(b) else float("inf")


class _Oracles:
    def __init__(self):
        self.memo = {}

    def get(self, family: str, case, semantics: str):
        key = (family, case, semantics)
        if key not in self.memo:
            self.memo[key] = get_family(family).oracle([case], semantics)[0]
        return self.memo[key]


def compare_values(family: str, semantics, case, dtype: str, got: dict, ref: dict, device: str, oracles: _Oracles):
    """The family's comparison of a cell's observables now (`got`) with the baseline's (`ref`)."""

    try:
        arithmetic = getattr(get_device(device), "arithmetic", "ieee")
    except UsageError:
        arithmetic = "ieee"
    if set(got) != set(ref):
        return Comparison(False, float("inf"), float("inf"), 0.0, 0.0, float("inf"), 0, 0,
                          f"observables differ in names: now {sorted(got)}, baseline {sorted(ref)}")
    try:
        fam = get_family(family)
        case = case.replace(dtype=dtype)
        g, r = fam.decode(case, got), fam.decode(case, ref)
        if semantics is None:
            return fam.compare_devices(g, r, case, dtype)
        oracle = oracles.get(family, case, semantics)
        return fam.compare(g, r, case, dtype, oracle=oracle, arithmetic=arithmetic)
    except (ValueError, IndexError, KeyError, TypeError, UsageError) as exc:
        return Comparison(False, float("inf"), float("inf"), 0.0, 0.0, float("inf"), 0, 0,
                          f"cannot compare: {type(exc).__name__}: {exc}")


def _case_of(baseline: Baseline, family: str, case_id: str):
    """The case a cell ran: from the corpus, or the family's own fixed case for families without cases."""
    fam = get_family(family)
    if not fam.has_cases:
        return fam.run_cases([])[0][0]
    return baseline.corpus.case(family, case_id)


def compare_cells(baseline: Baseline, result=None, *, unknown_variants=(), unknown_devices=(), now=None,
                  probe=None) -> list[CellChange]:
    """Classify every baseline cell against the cells of `result` (a `RunResult` of the rerun), or of `now`
    ((variant, device, dtype, case id) -> (verdict with .verdict/.reason, arrays or None), e.g. another
    baseline); `probe`: the private-API probe of the new side, for naming causes (causes.py)."""

    now = cells_from_result(result) if now is None else now
    oracles = _Oracles()
    out = []
    for k, old in enumerate(baseline.cells):
        key = (old["variant"], old["device"], old["dtype"], old["case_id"])
        info = baseline.manifest.get("variants", {}).get(old["variant"], {})
        private = list(info.get("private_api") or [])
        change = CellChange(*key, status=IDENTICAL, baseline_verdict=old["verdict"], verdict=None, private_api=private)
        new = now.get(key)
        old_arrays = baseline.arrays.get(k)
        if old["variant"] in unknown_variants:
            change.status, change.detail = GONE, f"variant '{old['variant']}' is no longer registered"
        elif old["device"] in unknown_devices:
            change.status, change.detail = GONE, f"device '{old['device']}' no longer exists"
        elif new is None:
            change.status, change.detail = GONE, "cell not planned in the rerun"
        else:
            v, new_arrays = new
            change.verdict = v.verdict
            if old_arrays is None:          # nothing to compare with
                if new_arrays is not None:
                    change.status = NOW_RUNS
                    change.detail = (f"baseline had no result ({old['verdict']}: {old.get('reason', '')[:100]}); "
                                     f"now {v.verdict}")
                elif v.verdict == ERROR and old["verdict"] != ERROR:
                    change.status, change.detail = NEW_ERROR, v.reason
                elif v.verdict == SKIP and old["verdict"] != SKIP:
                    change.status, change.detail = GONE, f"skipped now: {v.reason}"
                else:
                    change.status, change.detail = NO_RESULT, f"{v.verdict}, as in the baseline: {v.reason}"
            elif v.verdict == ERROR or (v.verdict in (PASS, FAIL) and new_arrays is None):
                change.status, change.detail = NEW_ERROR, v.reason or "no observables"
            elif v.verdict == SKIP:
                change.status, change.detail = GONE, f"skipped now: {v.reason}"
            elif v.verdict == BUILT:
                change.status, change.detail = GONE, f"only built now, not run: {v.reason}"
            else:
                _judge_values(change, baseline, old, v, new_arrays, old_arrays, oracles)
        out.append(change)
    attribute(out, probe)
    return out


def _judge_values(change: CellChange, baseline: Baseline, old: dict, v, new_arrays, old_arrays, oracles) -> None:
    """Both sides have values: identical, within the cell's limit (with the oracle's view of the drift), or changed."""
    try:
        variant = registry.get(old["variant"])
        family, semantics = variant.family, variant.semantics
    except UsageError:
        family, semantics = old.get("family", ""), None
    case = _case_of(baseline, family, old["case_id"])
    same = _identical(new_arrays, old_arrays)
    change.max_abs_err = 0.0 if same else _max_diff(new_arrays, old_arrays)
    cmp = compare_values(family, semantics, case, old["dtype"], new_arrays, old_arrays, old["device"], oracles)
    change.tolerance = cmp.tolerance
    change.ratio = 0.0 if same else float(cmp.ratio)
    if not same and cmp.ok:
        change.oracle = oracle_drift(family, semantics, case, old["dtype"], old_arrays, new_arrays,
                                     old["device"], oracles, compare_values, change.ratio)
    if old["verdict"] == PASS and v.verdict == FAIL:
        change.status, change.detail = NEW_FAIL, v.reason
    elif same:
        change.status = IDENTICAL
        if old["verdict"] != v.verdict:
            change.detail = f"same values, verdict {old['verdict']} -> {v.verdict}: {v.reason}"
    elif cmp.ok:
        change.status = WITHIN
        change.detail = (f"max |now - baseline| {change.max_abs_err:.3g}, {cmp.ratio:.2g} of the "
                         f"cell's limit" + (f"; {describe(change.oracle)}" if change.oracle else ""))
    else:
        change.status, change.detail = CHANGED, cmp.reason


def summarize_changes(changes: list[CellChange]) -> dict:
    counts = {s: 0 for s in STATUSES}
    for c in changes:
        counts[c.status] += 1
    return counts | {"cells": len(changes)}


def private_api_problems(baseline: Baseline, now_probe: dict) -> list[str]:
    """Private attributes that worked when the baseline was recorded (or were unknown) and no longer do."""
    users: dict[str, list[str]] = {}
    for name, info in baseline.manifest.get("variants", {}).items():
        for attr in info.get("private_api") or []:
            users.setdefault(attr, []).append(name)
    out = []
    for attr, result in now_probe.items():
        if result.get("honoured") is False:
            out.append(f"private Brian API {attr} (used by {', '.join(sorted(users.get(attr, [])))}) is no longer "
                       f"honoured: {result.get('detail', '')}")
    return out


def comparison_document(baseline: Baseline, changes: list[CellChange], *, environment: dict, probe: dict,
                        seconds: float, interrupted: bool = False) -> dict:
    return {
        "format": COMPARISON_FORMAT,
        "baseline": {"file": baseline.path, "created": baseline.manifest.get("created"),
                     "environment": baseline.environment, "private_api": baseline.manifest.get("private_api", {}),
                     "corpus_sha256": baseline.corpus.digest()},
        "environment": environment,
        "private_api": probe,
        "problems": private_api_problems(baseline, probe),
        "status": "interrupted" if interrupted else "complete",
        "summary": summarize_changes(changes),
        "causes": shared_causes(changes),
        "seconds": seconds,
        "cells": [c.to_dict() for c in changes],
    }


def compare(baseline: Baseline, *, corpus: Corpus | None = None, plugins=(), jobs=None, timeout=900.0,
            cache_dir=None, progress=None) -> dict:
    """Rerun the baseline's cells with what is installed now; the comparison document."""

    if corpus is not None and corpus.digest() != baseline.corpus.digest():
        raise UsageError(f"--corpus: {corpus.summary()} differs from the corpus the baseline was recorded on "
                         f"({baseline.corpus.summary()}); compare reruns the baseline's own cases")
    recorded_plugins = [p for p in baseline.manifest.get("config", {}).get("plugins", []) if os.path.isfile(p)]
    variant_sources.load_all(list(dict.fromkeys(recorded_plugins + list(plugins))))
    cfg = baseline.manifest.get("config", {})
    variants = list(dict.fromkeys(cfg.get("variants") or [c["variant"] for c in baseline.cells]))
    devices = list(dict.fromkeys(cfg.get("devices") or [c["device"] for c in baseline.cells]))
    dtypes = list(dict.fromkeys(cfg.get("dtypes") or [c["dtype"] for c in baseline.cells]))
    known = {v.name for v in registry.all_variants()}
    unknown_variants = sorted(set(c["variant"] for c in baseline.cells) - known)
    unknown_devices = []
    for d in sorted(set(devices) | {c["device"] for c in baseline.cells}):
        try:
            get_device(d)
        except UsageError:
            unknown_devices.append(d)
    run_variants = [v for v in variants if v in known]
    run_devices = [d for d in devices if d not in unknown_devices]
    t0 = time.perf_counter()
    if run_variants and run_devices:
        result = execute(_run_config(baseline.corpus, run_variants, run_devices, dtypes, plugins=recorded_plugins
                                     + list(plugins), jobs=jobs, timeout=timeout, cache_dir=cache_dir),
                         progress=progress)
    else:
        result = RunResult(verdicts=[], probes={}, jobs=[])
    probe = probe_private_api(_private_names(run_variants))
    changes = compare_cells(baseline, result, unknown_variants=unknown_variants, unknown_devices=unknown_devices,
                            probe=probe)
    return comparison_document(baseline, changes, environment=environment(), probe=probe,
                               seconds=time.perf_counter() - t0, interrupted=result.interrupted)


def regressions(doc: dict) -> list[str]:
    s = doc["summary"]
    out = [f"{s[k]} {k}" for k in REGRESSIONS if s[k]]
    out += doc.get("problems", [])
    if doc.get("status") == "interrupted":
        out.append("interrupted: cells not rerun count as no longer available")
    return out
