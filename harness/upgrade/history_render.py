"""The history as Markdown: the versions, one summary line per step, then per step every row that is not
identical (variant x device x dtype), with the largest difference and its cause."""
from __future__ import annotations

from brian2_harness.upgrade.changes import (
    CHANGED,
    GONE,
    IDENTICAL,
    NEW_ERROR,
    NEW_FAIL,
    NO_RESULT,
    NOW_RUNS,
    WITHIN,
    CellChange,
)
from brian2_harness.upgrade.render import _fmt, _private_cell, group_changes, shared_cause_lines
from brian2_harness.versions import CYTHON, NUMPY


def _short(env: dict) -> str:
    return f"{env.get('brian2')} (numpy {env.get(NUMPY)})"


def step_cause(doc: dict, row: dict) -> str:
    """What a row's change is attributed to: a named cause, else the environment change of the step."""
    if row["status"] in (IDENTICAL, NO_RESULT):
        return ""
    if row["causes"]:
        if all(c.startswith("shared by") for c in row["causes"]):
            return f"shared cause on {row['device']} (below)"
        return "; ".join(row["causes"])
    changed = doc["env_changes"]
    if not changed:
        return "nothing in the environment changed: not reproducible?"
    if len(changed) == 1:
        return changed[0]
    return "one of: " + ", ".join(changed)


def _step_rows(doc: dict) -> list[dict]:
    return group_changes([CellChange(**c) for c in doc["cells"]])


def markdown(history: dict) -> str:
    lines = [f"# What changed when ({history['corpus']})", ""]
    lines += ["| version | environment | cells | errors (device: cause) | record seconds | `_clock` probe |",
              "|---|---|---|---|---|---|"]
    for v in history["versions"]:
        s = v["summary"]
        cells = ", ".join(f"{s[k]} {k}" for k in ("pass", "fail", "error", "skip") if s.get(k))
        errs = "; ".join(f"{e['device']}: {e['cells']} cells, {e['error']}" for e in v["errors"]) or "-"
        probe = ", ".join(f"{a}: {'honoured' if r.get('honoured') else 'NOT honoured'}"
                          for a, r in v["private_api"].items()) or "-"
        env = v["environment"]
        lines.append(f"| {env.get('brian2')} | Python {env.get('python')}, numpy {env.get(NUMPY)}, Cython "
                     f"{env.get(CYTHON)} | {cells} | {errs.replace('|', '/')} | {_fmt_s(v['seconds'])} | {probe} |")
    for m in history["missing"]:
        lines.append(f"| (missing) | no baseline file {m}: its record did not run or did not finish | - | - | - | - |")
    lines += ["", "## Steps", "",
              "| step | what changed | identical | within tolerance | changed | newly failing | newly erroring | "
              "no longer available | largest within-tolerance change |", "|---|---|---|---|---|---|---|---|---|"]
    for doc in history["steps"]:
        s = doc["summary"]
        within = [c for c in doc["cells"] if c["status"] == WITHIN]
        top = max(within, key=lambda c: c["max_abs_err"] or 0.0, default=None)
        big = (f"{top['max_abs_err']:.3g} ({top['variant']}/{top['device']}/{top['dtype']})" if top else "-")
        lines.append(f"| {_short(doc['baseline']['environment'])} → {_short(doc['environment'])} | "
                     f"{', '.join(doc['env_changes']) or 'nothing'} | {s[IDENTICAL]} | {s[WITHIN]} | {s[CHANGED]} | "
                     f"{s[NEW_FAIL]} | {s[NEW_ERROR]} | {s[GONE]} | {big} |")
    for doc in history["steps"]:
        rows = _step_rows(doc)
        same = [r for r in rows if r["status"] in (IDENTICAL, NO_RESULT)]
        diff = [r for r in rows if r["status"] not in (IDENTICAL, NO_RESULT)]
        lines += ["", f"### {_short(doc['baseline']['environment'])} → {_short(doc['environment'])}: "
                      f"{', '.join(doc['env_changes']) or 'nothing changed in the environment'}", ""]
        if not diff:
            lines.append(f"All {len(rows)} rows (variant × device × dtype) identical or without result in both.")
            continue
        lines += ["| variant | device | dtype | status | cells | max \\|Δ\\| | max \\|Δ\\|/limit | private API | cause "
                  "| note |",
                  "|---|---|---|---|---|---|---|---|---|---|"]
        for r in diff:
            note = r["note"].replace("|", "\\|")[:240]
            cause = step_cause(doc, r).replace("|", "\\|")[:200]
            lines.append(f"| {r['variant']} | {r['device']} | {r['dtype']} | {r['status']} | {r['cells']} | "
                         f"{_fmt(r['max_abs_err'])} | {_fmt(r['ratio'])} | {_private_cell(r, doc['private_api'])} | "
                         f"{cause} | {note} |")
        lines.append("")
        lines.append(f"{len(same)} other rows identical (or without result in both versions)."
                     if same else "No other rows.")
        lines += [f"* {ln}" for ln in shared_cause_lines(doc)]
    if history["missing"]:
        lines += ["", "Missing baselines: " + ", ".join(history["missing"])]
    lines.append("")
    return "\n".join(lines)


def _fmt_s(x) -> str:
    return "-" if x is None else f"{x:.0f}"


__all__ = ["markdown", "step_cause", "NOW_RUNS"]
