"""One context for every rendering of a results document (HTML, Markdown): rows, the matrix pivot, the headroom
heatmap and, for failing cells, their family's diagnosis. Templates only read it."""
from __future__ import annotations

import json
import re
from datetime import datetime, timezone

from brian2_harness.cells.replay import replay_for_cell
from brian2_harness.cells.verdict import BUILT, ERROR, FAIL, PASS, SKIP, Verdict
from brian2_harness.errors import UsageError
from brian2_harness.families import all_families
from brian2_harness.families.diagnosis import Diagnosis, divergence_text, fmt
from brian2_harness.reports.merge import sources_of
from brian2_harness.reports.plots import headroom_heatmap
from brian2_harness.reports.results import group_rows

MAX_FAILURES = 20
COLORS = {PASS: "#1a7f37", FAIL: "#cf222e", ERROR: "#8250df", SKIP: "#9a6700", BUILT: "#0969da"}
BACKGROUND = {PASS: "#dafbe1", FAIL: "#ffebe9", ERROR: "#fbefff", SKIP: "#fff8c5", BUILT: "#ddf4ff"}
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def visible(text) -> str:
    """Control characters (from compiler output, say) shown as escapes instead of unrenderable glyphs."""
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", str(text))


def _counts(r: dict) -> str:
    c = r["counts"]
    return f"{c[PASS]}/{c[FAIL]}/{c[ERROR]}/{c[SKIP]}" + (f" +{c[BUILT]} built" if c[BUILT] else "")


def _row_view(r: dict) -> dict:
    lag = r.get("lag_seen")
    return {**r, "counts_text": _counts(r), "max_text": fmt(r["max_abs_err"]),
            "ratio_text": "-" if r.get("ratio") is None else f"{r['ratio']:.2g}",
            "limit_text": "-" if r.get("limit_min") is None else f"{fmt(r['limit_min'])} .. {fmt(r['limit_max'])}",
            "lag_text": "-" if not lag else f"{lag[0]} of {lag[1]} cells",
            "color": COLORS.get(r["status"], "#59636e"), "background": BACKGROUND.get(r["status"], "#fff")}


def _family_of_cell(cell: dict):
    """The family whose case type the cell's stored case is (families/base.py: claims, case_file_default)."""
    case = (cell.get("extra") or {}).get("case")
    if not isinstance(case, dict):
        return None, None
    fams = [f for f in all_families() if f.has_cases]
    fam = next((f for f in fams if f.claims(case)), None) or next((f for f in fams if f.case_file_default), None)
    if fam is None:
        return None, None
    try:
        return fam, fam.case_from_dict({k: v for k, v in case.items() if k != "format"})
    except (UsageError, TypeError, ValueError):
        return fam, None


def _case_file_text(case) -> str:
    """A case file (`run --case-file`) holding this one case: one field per line, lists inline."""
    fields = ",\n".join(f"  {json.dumps(k)}: {json.dumps(v)}" for k, v in case.to_dict().items())
    return "[{\n" + fields + "\n}]"


def _failing_view(cell: dict, config: dict) -> dict:
    fam, case = _family_of_cell(cell)
    ref = cell.get("reference") or ""
    semantics = ref.split(":", 1)[1] if ref.startswith("oracle:") else None
    diag = None
    if fam is not None and case is not None and cell["verdict"] == FAIL:
        try:
            diag = fam.diagnose(cell, case, semantics)
        except Exception as exc:   # a diagnosis must never stop the report
            diag = Diagnosis(problem=f"diagnosis failed: {type(exc).__name__}: {exc}")
    diag = diag or Diagnosis(first=cell.get("first"),
                             problem="" if cell["verdict"] == ERROR else "no diagnosis for this cell")
    facts = [("against", ref or "-"), ("max |err|", fmt(cell.get("max_abs_err"))),
             ("bound of the worst neuron", fmt(cell.get("tolerance"))), ("reason", cell.get("reason") or "-")]
    if (cell.get("extra") or {}).get("source"):
        facts.insert(0, ("source", cell["extra"]["source"]))
    if cell.get("detection_limit"):
        lim = cell["detection_limit"]
        facts.append(("detection limit", f"{fmt(lim['min'])} .. {fmt(lim['max'])}"))
    if cell["verdict"] != ERROR:
        facts.append(("first divergence", divergence_text(diag.first or cell.get("first"))))
    if cell.get("log"):
        facts.append(("worker log", cell["log"]))
    sizes = {}
    if case is not None:
        sizes = fam.case_sizes(case)
    return {"cell": cell, "label": f"{cell['variant']} × {cell['device']} × {cell['dtype']} — {cell['case_id']}",
            "facts": facts, "diagnosis": diag, "case_text": _case_file_text(case) if case is not None else None,
            "case_sizes": ", ".join(f"{v} {k}" for k, v in sizes.items()),
            "replay": replay_for_cell(cell, config or {}, case_file="case.json") if case is not None else None,
            "color": COLORS.get(cell["verdict"], "#59636e")}


def build_context(results: dict, *, max_failures: int = MAX_FAILURES, with_figures: bool = True) -> dict:

    cells = results.get("cells", [])
    rows = [_row_view(r) for r in group_rows([Verdict.from_dict(c) for c in cells])]
    variants = list(dict.fromkeys(r["variant"] for r in rows))
    columns = list(dict.fromkeys((r["device"], r["dtype"]) for r in rows))
    at = {(r["variant"], r["device"], r["dtype"]): r for r in rows}
    matrix = [{"variant": v, "cells": [at.get((v, d, t)) for d, t in columns]} for v in variants]
    failing = [c for c in cells if c.get("verdict") in (FAIL, ERROR)]
    shown = failing[:max(0, max_failures)]
    summary = results.get("summary") or {}
    counts = ", ".join(f"{summary.get(k, 0)} {k}" for k in (PASS, FAIL, ERROR, SKIP, BUILT) if summary.get(k))
    return {
        "status": results.get("status", "?"), "n_cells": summary.get("cells", len(cells)), "counts": counts or "none",
        "generated": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "required_missing": results.get("required_missing") or [],
        "rows": rows, "columns": columns, "matrix": matrix,
        "heatmap": headroom_heatmap(rows) if with_figures and rows else None,
        "failing_total": len(failing), "failing": [_failing_view(c, results.get("config") or {}) for c in shown],
        "left_out": len(failing) - len(shown),
        "sources": [{**s, "config_text": json.dumps(s.get("config") or {}, indent=1)} for s in sources_of(results)],
    }
