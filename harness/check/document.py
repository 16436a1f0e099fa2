"""`check --json`: the check results as a versioned document (format ``brian2-harness-check/1``).

Documented in docs/check-results.md; `report`, `junit` and `merge` read it (reports/check_document.py validates).
Built while the runs' arrays are in memory: the first difference of a device carries a window of both traces (or
both spike rasters) around it, so a report can plot it later from the JSON alone.
"""
from __future__ import annotations

from ..verdicts import DEVICE_VERDICTS as VERDICTS
from ..verdicts import FAIL, INTERRUPTED, LABEL, SCRIPT_VERDICTS
from .difference import first_difference, headroom
from .exact import Tolerance
from .verdict import CheckResult

__all__ = ["CHECK_FORMAT", "INTERRUPTED", "SCRIPT_VERDICTS", "VERDICTS", "check_document", "script_record",
           "summarize"]
CHECK_FORMAT = "brian2-harness-check/1"


def summarize(scripts: list[dict]) -> dict:
    counts = {v: 0 for v in SCRIPT_VERDICTS}
    for s in scripts:
        counts[s["verdict"]] = counts.get(s["verdict"], 0) + 1
    return counts | {"scripts": len(scripts)}


def _statistic_difference(tests) -> dict | None:
    """A statistical failure's first difference: its most significant rejected statistic."""
    bad = [t for t in tests if t.rejected]
    if not bad:
        return None
    t = min(bad, key=lambda x: x.p)
    return {"observable": t.statistic, "kind": "statistic", "index": None, "time": None,
            "device_value": float(t.mean), "reference_value": float(t.ref_mean), "unit": t.unit,
            "p": float(t.p), "p_adjusted": float(t.p_adjusted)}


def _power(tests) -> list[dict]:
    return [{"statistic": t.statistic, "kind": t.kind, "unit": t.unit, "detectable": t.detectable,
             "p_floor": t.floor} for t in tests]


def _device(result: CheckResult, name: str, tol: Tolerance) -> dict:
    v = result.devices[name]
    run = result.runs.get(name)
    ref_run = result.runs.get(result.reference) if result.reference else None
    out = {"verdict": v.verdict, "label": LABEL.get(v.verdict, v.verdict), "reason": v.reason,
           "seconds": run.seconds if run else 0.0, "seeds": [r.seed for r in run.runs] if run else [],
           "timers": [r.meta.get("timers", {}) for r in run.runs] if run else [],
           "first_difference": None, "headroom": [], "power": []}
    if v.exact is not None:
        out["headroom"] = headroom(v.exact.comparisons)
        if not v.exact.agree and run and ref_run and run.runs and ref_run.runs:
            t_end = max((r.meta.get("t_end", 0.0) for r in ref_run.runs), default=0.0)
            out["first_difference"] = first_difference(run.runs[0].observables, ref_run.runs[0].observables,
                                                       tol, t_end)
    if result.stat is not None:
        mine = [t for t in result.stat.tests if t.device == name]
        out["power"] = _power(mine)
        if v.verdict == FAIL:
            out["first_difference"] = _statistic_difference(mine) or out["first_difference"]
    return out


def script_record(result: CheckResult, tol: Tolerance) -> dict:
    """Everything `CheckResult.to_dict` says about the script, with the structured per-device fields added."""
    record = result.to_dict()
    devices = record.get("devices") or {}
    for d in result.devices:
        devices[d] = {**devices.get(d, {}), **_device(result, d, tol)}
    return {**record, "script": result.script, "status": "complete", "verdict": result.verdict,
            "label": LABEL.get(result.verdict, result.verdict), "reason": result.reason,
            "required_missing": list(result.required_missing), "devices": devices}


def check_document(results: list[CheckResult], *, environment: dict, config: dict,
                   tolerance: Tolerance | None = None, interrupted: list[dict] | None = None) -> dict:
    """`interrupted`: entries of scripts a stop left unchecked (check/cli.py interrupted_entries)."""
    scripts = [script_record(r, tolerance or Tolerance()) for r in results]
    scripts += [dict(entry, mode=None, reference=None, seconds=0.0, notes=[], random_sources=[],
                     required_missing=[], stat=None) for entry in interrupted or []]
    return {
        "format": CHECK_FORMAT,
        "status": "interrupted" if interrupted else "complete",
        "environment": environment,
        "config": config,
        "summary": summarize(scripts),
        "required_missing": sorted({d for s in scripts for d in s["required_missing"]}),
        "scripts": scripts,
    }
