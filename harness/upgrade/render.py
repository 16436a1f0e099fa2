"""How a comparison reads: a terminal table, Markdown, one summary line."""
from __future__ import annotations

import os
import sys

from brian2_harness.cells.verdict import by_row
from brian2_harness.upgrade.changes import (  # noqa: F401
    _WORST_FIRST,
    CHANGED,
    GONE,
    IDENTICAL,
    NEW_ERROR,
    NEW_FAIL,
    NO_RESULT,
    NOW_RUNS,
    REGRESSIONS,
    STATUSES,
    STYLE,
    WITHIN,
    CellChange,
    summarize_changes,
)
from brian2_harness.upgrade.drift import describe
from brian2_harness.versions import CORE, NUMPY


def env_line(env: dict) -> str:
    return (f"brian2 {env.get('brian2')} · numpy {env.get(NUMPY)} · Python {env.get('python')}"
            + (f" · brian2cuda {env['brian2cuda']}" if env.get("brian2cuda") else ""))


def group_changes(changes: list[CellChange]) -> list[dict]:
    rows = []
    for (variant, device, dtype), cs in by_row(changes).items():
        counts = summarize_changes(cs)
        status = next(s for s in _WORST_FIRST if counts[s])
        errs = [c.max_abs_err for c in cs if c.max_abs_err is not None]
        ratios = [_ratio(c) for c in cs if c.max_abs_err is not None and c.tolerance is not None]
        worst = [c for c in cs if c.status == status]
        causes = sorted({c.cause for c in worst if c.cause})
        if status == IDENTICAL:
            note = ""
        elif status in (NO_RESULT, NOW_RUNS) and len({c.detail for c in worst}) == 1:
            note = worst[0].detail
        elif len(causes) == 1 and all(c.cause for c in worst) and causes[0].startswith("shared by"):
            note = f"{len(worst)} cells: shared cause on {device} (named once, below the table)"
        elif status == WITHIN:
            note = _drift_note(worst)
        else:
            note = f"{worst[0].case_id}: {worst[0].detail}" + (f" (+{len(worst) - 1} more)" if len(worst) > 1 else "")
            if causes and not worst[0].private_blamed:
                note += f" [cause: {causes[0]}]"
        rows.append(dict(variant=variant, device=device, dtype=dtype, status=status,
                         cells=", ".join(f"{counts[s]} {s}" for s in STATUSES if counts[s]),
                         max_abs_err=max(errs) if errs else None, ratio=max(ratios) if ratios else None,
                         private_api=",".join(cs[0].private_api), private_blamed=any(c.private_blamed for c in cs),
                         causes=causes, note=note))
    return rows


def _drift_note(cells: list[CellChange]) -> str:
    """Within-tolerance cells: how many moved away from / towards the oracle, the worst one described."""
    labels: dict[str, list[CellChange]] = {}
    for c in cells:
        labels.setdefault((c.oracle or {}).get("label", "no oracle"), []).append(c)
    parts = []
    for label, cs in sorted(labels.items(), key=lambda kv: -len(kv[1])):
        top = max(cs, key=lambda c: max((c.oracle or {}).get("now", {}).get("ratio", 0.0),
                                        (c.oracle or {}).get("before", {}).get("ratio", 0.0)))
        parts.append(f"{len(cs)} {label}" + (f" (worst {top.case_id}: {describe(top.oracle, 'base', 'now')})"
                                             if top.oracle and "before" in top.oracle else ""))
    return "; ".join(parts)


def _ratio(c: CellChange) -> float:
    """|now - baseline| in units of the cell's bound (<= 1: within tolerance): the family's own ratio."""
    if c.max_abs_err == 0:
        return 0.0
    if c.ratio is not None:
        return c.ratio
    return c.max_abs_err / c.tolerance if c.tolerance else float("inf")


def _fmt(x) -> str:
    return "-" if x is None else ("0" if x == 0 else f"{x:.2e}")


def _private_cell(row: dict, probe: dict) -> str:
    if not row["private_api"]:
        return ""
    broken = [a for a in row["private_api"].split(",") if (probe.get(a) or {}).get("honoured") is False]
    if broken:
        return f"{','.join(broken)} NOT HONOURED"
    if row.get("private_blamed"):        # evidence: only the variants using it regress on this device
        return f"{row['private_api']} BROKEN?"
    return row["private_api"]


def shared_cause_lines(doc: dict) -> list[str]:
    """Each cause shared by a device's variants, once (causes.py)."""
    out = []
    for s in doc.get("causes", []):
        scope = "all its variants" if s["all_variants"] else f"variants {', '.join(s['variants'])}"
        mixed = len(s["private_api_variants"]) < len(s["variants"])
        out.append(f"shared cause on {s['device']} ({scope}, {s['cells']} newly erroring cells"
                   + (", with and without private API alike" if mixed else "")
                   + f"; a device-level cause, not the private API): {s['error']}"
                   + (f" — {s['hint']}" if s.get("hint") else ""))
    return out


def print_comparison(doc: dict, rows: list[dict], console=None) -> None:
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    console = console or Console(width=None if sys.stdout.isatty() else 200)
    env_old, env_new = doc["baseline"]["environment"], doc["environment"]
    t = Table(title="environment: baseline -> now")
    for col in ("", "baseline", "now"):
        t.add_column(col)
    for k in (*CORE, "brian2cuda", "hypothesis", "gcc", "nvcc"):
        a, b = env_old.get(k), env_new.get(k)
        if a or b:
            t.add_row(k, escape(str(a)), f"[bold]{escape(str(b))}[/]" if a != b else escape(str(b)))
    console.print(t)
    table = Table(title=f"baseline {os.path.basename(doc['baseline']['file'] or '')} vs now", show_lines=False)
    for col in ("variant", "device", "dtype", "status", "cells", "max |now-base|", "max |now-base|/limit",
                "private API", "note"):
        table.add_column(col, overflow="fold")
    for r in rows:
        table.add_row(escape(r["variant"]), escape(r["device"]), escape(r["dtype"]),
                      f"[{STYLE[r['status']]}]{r['status']}[/]", escape(str(r["cells"])),
                      _fmt(r["max_abs_err"]), _fmt(r["ratio"]), escape(_private_cell(r, doc["private_api"])),
                      escape(r["note"][:160]))
    console.print(table)
    for line in shared_cause_lines(doc):
        console.print(escape(line))
    for attr, res in sorted(doc["private_api"].items()):
        before = (doc["baseline"]["private_api"].get(attr) or {}).get("honoured")
        word = {True: "honoured", False: "NOT honoured", None: "not probed"}
        console.print(escape(f"private Brian API {attr}: {word[before]} in the baseline -> "
                             f"{word[res.get('honoured')]} now" + (f" ({res['detail']})" if res.get("detail") else "")))


def markdown_table(doc: dict, rows: list[dict]) -> str:
    env_old, env_new = doc["baseline"]["environment"], doc["environment"]
    lines = [f"baseline: {env_line(env_old)} → now: {env_line(env_new)}", "",
             "| variant | device | dtype | status | cells | max \\|now−base\\| | max \\|now−base\\|/limit | "
             "private API | note |",
             "|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        note = r["note"].replace("|", "\\|")[:160]
        lines.append(f"| {r['variant']} | {r['device']} | {r['dtype']} | {r['status']} | {r['cells']} | "
                     f"{_fmt(r['max_abs_err'])} | {_fmt(r['ratio'])} | {_private_cell(r, doc['private_api'])} "
                     f"| {note} |")
    lines += [""] + [f"* {ln}" for ln in shared_cause_lines(doc)]
    lines += ["", summary_line(doc), ""]
    return "\n".join(lines)


def summary_line(doc: dict) -> str:
    s = doc["summary"]
    main = ", ".join(f"{s[k]} {k}" for k in (IDENTICAL, WITHIN, CHANGED, NEW_FAIL, NEW_ERROR, GONE))
    extra = ", ".join(f"{s[k]} {k}" for k in (NO_RESULT, NOW_RUNS) if s[k])
    return (f"{s['cells']} cells: {main}" + (f" ({extra})" if extra else "")
            + f"; {env_line(doc['baseline']['environment'])} -> {env_line(doc['environment'])}"
            + f" in {doc['seconds']:.1f} s")
