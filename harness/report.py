"""Results as people and machines read them: a terminal table and a JSON document."""
from __future__ import annotations

import json
from collections import defaultdict

from rich.console import Console
from rich.table import Table

from .atomic import atomic_write_text
from .verdict import BUILT, ERROR, FAIL, PASS, SKIP, Verdict

RESULTS_FORMAT = "brian2-harness-results/1"
STYLE = {PASS: "green", FAIL: "bold red", ERROR: "bold magenta", SKIP: "yellow", BUILT: "cyan"}


def summarize(verdicts: list[Verdict]) -> dict:
    counts = defaultdict(int)
    for v in verdicts:
        counts[v.verdict] += 1
    return {k: counts.get(k, 0) for k in (PASS, FAIL, ERROR, SKIP, BUILT)} | {"cells": len(verdicts)}


def group_rows(verdicts: list[Verdict]) -> list[dict]:
    """One row per (variant, device, dtype): counts, worst error, tolerance, first reason."""
    groups: dict[tuple, list[Verdict]] = {}
    for v in verdicts:
        groups.setdefault((v.variant, v.device, v.dtype), []).append(v)
    rows = []
    for (variant, device, dtype), vs in groups.items():
        counts = summarize(vs)
        errs = [v.max_abs_err for v in vs if v.max_abs_err is not None]
        judged = [v for v in vs if v.max_abs_err is not None and v.tolerance]
        # the tolerance that mattered: of the cell closest to (or furthest beyond) its tolerance
        worst = max(judged, key=lambda v: v.max_abs_err / v.tolerance, default=None)
        tols = [worst.tolerance] if worst is not None else []
        bad = [v for v in vs if v.verdict in (FAIL, ERROR)]
        note = bad[0].reason if bad else (vs[0].reason if vs and vs[0].verdict in (SKIP, BUILT) else "")
        if bad:
            note = f"{bad[0].case_id}: {note}"
        status = FAIL if counts[FAIL] else ERROR if counts[ERROR] else PASS if counts[PASS] else \
            BUILT if counts[BUILT] else SKIP
        rows.append(dict(variant=variant, device=device, dtype=dtype, status=status, counts=counts,
                         max_abs_err=max(errs) if errs else None, tolerance=min(tols) if tols else None,
                         reference=vs[0].reference, boundary=sum(v.boundary for v in vs), note=note))
    return rows


def _fmt(x) -> str:
    return "-" if x is None else ("0" if x == 0 else f"{x:.2e}")


def print_table(verdicts: list[Verdict], console: Console | None = None, title: str = "verification matrix"):
    console = console or Console()
    table = Table(title=title, show_lines=False)
    for col in ("variant", "device", "dtype", "verdict", "pass/fail/err/skip", "max |err|", "tol (worst cell)",
                "boundary", "against", "note"):
        table.add_column(col, overflow="fold")
    for r in group_rows(verdicts):
        c = r["counts"]
        table.add_row(r["variant"], r["device"], r["dtype"],
                      f"[{STYLE[r['status']]}]{r['status'].upper()}[/]",
                      f"{c[PASS]}/{c[FAIL]}/{c[ERROR]}/{c[SKIP]}" + (f" (+{c[BUILT]} built)" if c[BUILT] else ""),
                      _fmt(r["max_abs_err"]), _fmt(r["tolerance"]), str(r["boundary"]), r["reference"],
                      r["note"][:120])
    console.print(table)


def results_document(verdicts: list[Verdict], *, environment: dict, config: dict, status: str,
                     extra: dict | None = None) -> dict:
    return {
        "format": RESULTS_FORMAT,
        "status": status,
        "environment": environment,
        "config": config,
        "summary": summarize(verdicts),
        "cells": [v.to_dict() for v in verdicts],
        **(extra or {}),
    }


def write_json(path: str, document: dict) -> None:
    atomic_write_text(path, json.dumps(document, indent=1, default=_json_default))


def _json_default(o):
    import numpy as np
    if isinstance(o, np.generic):
        return o.item()
    raise TypeError(f"not JSON serializable: {type(o).__name__}")
