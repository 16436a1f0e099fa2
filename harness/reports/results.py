"""Results as people and machines read them: a terminal table and a JSON document."""
from __future__ import annotations

import json
from collections import defaultdict

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from brian2_harness.atomic import write_output
from brian2_harness.cells.verdict import BUILT, ERROR, FAIL, PASS, SKIP, Verdict, by_row

RESULTS_FORMAT = "brian2-harness-results/1"
STYLE = {PASS: "green", FAIL: "bold red", ERROR: "bold magenta", SKIP: "yellow", BUILT: "cyan"}


def summarize(verdicts: list[Verdict]) -> dict:
    counts = defaultdict(int)
    for v in verdicts:
        counts[v.verdict] += 1
    return {k: counts.get(k, 0) for k in (PASS, FAIL, ERROR, SKIP, BUILT)} | {"cells": len(verdicts)}


def group_rows(verdicts: list[Verdict]) -> list[dict]:
    """One row per (variant, device, dtype): counts, worst error, tolerance, first reason."""
    rows = []
    for (variant, device, dtype), vs in by_row(verdicts).items():
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
        limits = [v.detection_limit for v in vs if v.detection_limit]
        lag = [v.lag_visible for v in vs if v.lag_visible is not None]
        ratios = [v.ratio for v in vs if v.ratio is not None]
        blind = [v for v in vs if v.extra.get("lag_note")]
        if not note and blind:
            note = f"{len(blind)} cell(s) {blind[0].extra['lag_note']}"
        rows.append(dict(variant=variant, device=device, dtype=dtype, status=status, counts=counts,
                         max_abs_err=max(errs) if errs else None, tolerance=min(tols) if tols else None,
                         reference=vs[0].reference, boundary=sum(v.boundary for v in vs),
                         judged=sum(v.judged for v in vs), note=note,
                         ratio=max(ratios) if ratios else None,
                         limit_min=min(x["min"] for x in limits) if limits else None,
                         limit_max=max(x["max"] for x in limits) if limits else None,
                         lag_seen=(sum(lag), len(lag)) if lag else None))
    return rows


def _fmt(x) -> str:
    return "-" if x is None else ("0" if x == 0 else f"{x:.2e}")


def _short(x) -> str:
    """1.5e-9, 2.3e1: two significant digits, no padded exponent (the table must fit 120 columns)."""
    if x is None:
        return "-"
    if x == 0:
        return "0"
    mant, _, exp = f"{x:.1e}".partition("e")
    return f"{mant}e{int(exp)}"


def _lag(r) -> str:
    if r["lag_seen"] is None:
        return "-"
    seen, n = r["lag_seen"]
    return "all" if seen == n else f"{seen}/{n}"


def _against(ref: str) -> str:
    ref = ref.removeprefix("oracle:")
    return ref.replace("device:", "").replace("float64", "f64").replace("float32", "f32")


def print_table(verdicts: list[Verdict], console: Console | None = None, title: str = "verification matrix"):
    """One row per variant x device x dtype, fitting 120 columns; notes are printed below the table."""
    from rich import box

    console = console or Console()
    table = Table(title=title, show_lines=False, pad_edge=False, box=box.SIMPLE_HEAD, padding=(0, 1),
                  collapse_padding=True)
    for col, justify in (("variant", "left"), ("device", "left"), ("dtype", "left"), ("result", "left"),
                         ("p/f/e/s", "right"), ("max|err|", "right"), ("err/lim", "right"),
                         ("limit min..max", "right"), ("lag", "right"), ("clips", "right"), ("against", "left")):
        table.add_column(col, justify=justify, overflow="fold")
    notes = []
    rows = group_rows(verdicts)
    for r in rows:
        c = r["counts"]
        table.add_row(escape(r["variant"]), escape(r["device"]), escape(r["dtype"].replace("float", "f")),
                      f"[{STYLE[r['status']]}]{r['status'].upper()}[/]",
                      f"{c[PASS]}/{c[FAIL]}/{c[ERROR]}/{c[SKIP]}" + (f"+{c[BUILT]}b" if c[BUILT] else ""),
                      _short(r["max_abs_err"]), "-" if r["ratio"] is None else _short(r["ratio"]),
                      "-" if r["limit_min"] is None else f"{_short(r['limit_min'])}..{_short(r['limit_max'])}",
                      _lag(r), f"{r['judged']}/{r['boundary']}", escape(_against(r["reference"])))
        if r["note"]:
            notes.append(f"{r['variant']} x {r['device']} x {r['dtype']}: {r['note'][:300]}")
    console.print(table)
    if any(r["limit_min"] is not None for r in rows):
        console.print("err/lim: largest error / its neuron's bound (< 1 passes); limit: smallest deviation flagged "
                      "on the most and least sensitive neuron; lag: cells that see a one-step lag; clips: judged/in "
                      "band; against: oracle semantics or reference device", style="dim", markup=False)
    for n in notes:
        console.print(f"  note: {escape(n)}")


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
    write_output(path, json.dumps(document, indent=1, default=_json_default), "results file")


def _json_default(o):
    import numpy as np
    if isinstance(o, np.generic):
        return o.item()
    raise TypeError(f"not JSON serializable: {type(o).__name__}")
