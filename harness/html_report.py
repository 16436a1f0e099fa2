"""`brian2-harness report RESULTS.json --out DIR`: a self-contained `index.html` and a `summary.md`.

The HTML has no external assets: styles are inline and plots (matplotlib, Agg) are PNG data URIs, so the
file can be attached to a CI run or mailed. Contents: where the results came from (environment per source),
the variant x device x dtype matrix with verdict counts and worst errors, and for each failing cell (up to
`max_failures`) the case as a ready-to-run case file, the first event where the device leaves the oracle,
an explanation where the pattern is known, and two plots: per-post weight totals over events (device
against oracle) and a heatmap of per-synapse error (event x synapse).

The device side of the plots comes from the cell's `extra['observed']` (see `harness/observed.py`); the
oracle side is recomputed here from `extra['case']` with `harness.oracle`.
"""
from __future__ import annotations

import base64
import html
import io
import json
import os
import re
from dataclasses import dataclass, field
from datetime import datetime, timezone

import numpy as np

from brian2_harness.atomic import atomic_write_text
from brian2_harness.errors import UsageError
from brian2_harness.run.replay import replay_for_cell
from brian2_harness.report import group_rows
from brian2_harness.run.verdict import BUILT, ERROR, FAIL, PASS, SKIP, Verdict

MAX_FAILURES = 20
COLORS = {PASS: "#1a7f37", FAIL: "#cf222e", ERROR: "#8250df", SKIP: "#9a6700", BUILT: "#0969da"}
BACKGROUND = {PASS: "#dafbe1", FAIL: "#ffebe9", ERROR: "#fbefff", SKIP: "#fff8c5", BUILT: "#ddf4ff"}
LAG_TEXT = "off by exactly g·dt per synapse: one-step schedule lag"
FLOAT32_TEXT = "grows with steps like float32 rounding"


def _fmt(x) -> str:
    if x is None:
        return "-"
    try:
        x = float(x)
    except (TypeError, ValueError):
        return str(x)
    if x == 0:
        return "0"
    if not np.isfinite(x):
        return str(x)
    return f"{x:.3g}" if 1e-3 <= abs(x) < 1e4 else f"{x:.2e}"


def _cell_label(c: dict) -> str:
    return f"{c['variant']} × {c['device']} × {c['dtype']} — {c['case_id']}"


def _schedule_of(c: dict) -> str | None:
    ref = c.get("reference") or ""
    return ref.split(":", 1)[1] if ref.startswith("oracle:") else None


# --- analysis of one failing cell --------------------------------------------------------------------

@dataclass
class Analysis:
    cell: dict
    case: object = None                 # Case or None
    schedule: str | None = None
    problem: str = ""                   # why plots/divergence could not be made
    events: np.ndarray | None = None    # kept event indices
    synapses: np.ndarray | None = None  # kept synapse indices
    post: np.ndarray | None = None
    got_before: np.ndarray | None = None
    got_after: np.ndarray | None = None
    want_before: np.ndarray | None = None
    want_after: np.ndarray | None = None
    got_totals: np.ndarray | None = None
    want_totals: np.ndarray | None = None
    target: np.ndarray | None = None
    j: np.ndarray | None = None
    first: dict | None = None           # first divergence
    explanations: list[str] = field(default_factory=list)
    left_out: str = ""                  # what the compact observables do not cover

    @property
    def has_plots(self) -> bool:
        return self.got_after is not None and self.want_after is not None


class _OracleMemo:
    def __init__(self):
        self.memo = {}

    def get(self, case, schedule):
        key = (case, schedule)
        if key not in self.memo:
            from brian2_harness.families.growth.network import pack
            from brian2_harness.families.growth.oracle import simulate
            net, blocks = pack([case])
            self.memo[key] = simulate(net, schedule).block(blocks[0])
        return self.memo[key]


def analyse(cell: dict, oracles: _OracleMemo | None = None) -> Analysis:
    from brian2_harness.families.growth.case import Case

    oracles = oracles or _OracleMemo()
    a = Analysis(cell=cell, schedule=_schedule_of(cell))
    extra = cell.get("extra") or {}
    if isinstance(extra.get("case"), dict):
        try:
            a.case = Case.from_dict(extra["case"])
        except (UsageError, TypeError, ValueError) as exc:
            a.problem = f"the case in the results is invalid: {exc}"
    obs = extra.get("observed")
    if a.case is None:
        a.problem = a.problem or "no case in the results (only failing cells of oracle-checked variants carry one)"
    elif a.schedule is None:
        a.problem = f"compared with {cell.get('reference') or 'nothing'}, not with an oracle"
    elif not isinstance(obs, dict):
        a.problem = "no device observables in the results (extra['observed']); re-run with this harness version"
    else:
        try:
            _fill(a, obs, oracles.get(a.case, a.schedule))
        except Exception as exc:  # a malformed field must not stop the whole report
            a.problem = f"could not compare the stored observables with the oracle: {type(exc).__name__}: {exc}"
            a.got_after = None
    if a.first is None:
        a.first = _first_from_reason(cell.get("reason") or "")
    a.explanations = explain(a)
    return a


def _fill(a: Analysis, obs: dict, ref) -> None:
    ev = np.asarray(obs["events"], dtype=int)
    syn = np.asarray(obs["synapses"], dtype=int)
    post = np.asarray(obs.get("post", []), dtype=int)
    a.events, a.synapses, a.post = ev, syn, post
    shape = (ev.size, syn.size)
    a.got_before = np.asarray(obs["w_before"], dtype=np.float64).reshape(shape)
    a.got_after = np.asarray(obs["w_after"], dtype=np.float64).reshape(shape)
    if ev.size and (ev.max() >= ref.w_after.shape[0] or (syn.size and syn.max() >= ref.w_after.shape[1])):
        raise ValueError(f"observables cover events/synapses the case does not have "
                         f"(case: {ref.w_after.shape[0]} events, {ref.w_after.shape[1]} synapses)")
    a.want_before = ref.w_before.astype(np.float64)[np.ix_(ev, syn)]
    a.want_after = ref.w_after.astype(np.float64)[np.ix_(ev, syn)]
    a.j = np.asarray(ref.j)[syn]
    if post.size and "totals_after" in obs:
        a.got_totals = np.asarray(obs["totals_after"], dtype=np.float64).reshape(ev.size, post.size)
        a.want_totals = ref.totals()[np.ix_(ev, post)]
        a.target = np.asarray(ref.target, dtype=np.float64)[post]
    parts = []
    n_ev, n_syn, n_post = obs.get("n_events", ev.size), obs.get("n_synapses", syn.size), obs.get("n_post", post.size)
    if ev.size < n_ev:
        parts.append(f"events {ev[0]}–{ev[-1]} of {n_ev}" if ev.size else f"0 of {n_ev} events")
    if syn.size < n_syn:
        parts.append(f"the {syn.size} synapses furthest from the oracle, of {n_syn}")
    if post.size < n_post:
        parts.append(f"{post.size} of {n_post} post neurons")
    a.left_out = "; ".join(parts)
    tol = a.cell.get("tolerance")
    tol = float(tol) if tol is not None else 0.0
    d_b = a.got_before - a.want_before
    d_a = a.got_after - a.want_after
    bad = (~np.isfinite(d_b) | (np.abs(d_b) > tol)) | (~np.isfinite(d_a) | (np.abs(d_a) > tol))
    if bad.any():
        r = int(np.argwhere(bad.any(axis=1))[0][0])
        # inside the first bad event: prefer 'before' (the earliest point in time), then 'after'
        bb = ~np.isfinite(d_b[r]) | (np.abs(d_b[r]) > tol)
        which = "before" if bb.any() else "after"
        cols = np.flatnonzero(bb if bb.any() else (~np.isfinite(d_a[r]) | (np.abs(d_a[r]) > tol)))
        k = int(cols[0])          # the lowest synapse index, as in the comparison's message
        got = a.got_before if which == "before" else a.got_after
        want = a.want_before if which == "before" else a.want_after
        e = int(ev[r])
        a.first = {"event": e, "time": e * a.case.period, "synapse": int(syn[k]), "post": int(a.j[k]),
                   "which": which, "device": float(got[r, k]), "oracle": float(want[r, k]),
                   "diff": float(got[r, k] - want[r, k]), "tolerance": tol,
                   "n_synapses_off": int(np.sum(bad[r]))}


_REASON_RE = re.compile(r"event (\d+), synapse (\d+) \(post (\d+)\), weight (before|after) the event: "
                        r"(\S+) vs (\S+), diff (\S+) > tol (\S+)")


def _first_from_reason(reason: str) -> dict | None:
    m = _REASON_RE.search(reason)
    if not m:
        return None
    try:
        return {"event": int(m[1]), "time": None, "synapse": int(m[2]), "post": int(m[3]), "which": m[4],
                "device": float(m[5]), "oracle": float(m[6]), "diff": float(m[7]), "tolerance": float(m[8]),
                "n_synapses_off": None}
    except ValueError:
        return None


def explain(a: Analysis) -> list[str]:
    """Known patterns: a one-step schedule lag (|diff| = g·dt) and float32-like rounding growth."""
    out = []
    case, tol = a.case, float(a.cell.get("tolerance") or 0.0)
    if a.has_plots and case is not None:
        d = np.concatenate([(a.got_before - a.want_before).ravel(), (a.got_after - a.want_after).ravel()])
        d = np.abs(d[np.isfinite(d)])
        off = d[d > tol]
        inc = case.g * case.dt
        if off.size and inc > 0:
            ratio = off / inc
            near = np.abs(ratio - 1) < 0.05
            if near.mean() >= 0.9:
                out.append(f"{LAG_TEXT} (g·dt = {_fmt(inc)}; {int(near.sum())} of {off.size} differing values "
                           f"are off by g·dt ± 5%): the per-neuron total was taken one time step before or "
                           f"after the growth of that step, compared with the {a.schedule} schedule")
        if not out and off.size:
            err = np.maximum(np.abs(a.got_before - a.want_before), np.abs(a.got_after - a.want_after))
            per_event = np.where(np.isfinite(err), err, 0).max(axis=1)
            nz = np.flatnonzero(per_event > 0)
            scale = float(np.max(np.abs(np.concatenate([a.want_before.ravel(), a.want_after.ravel()])),
                                 initial=0.0))
            eps32 = float(np.finfo(np.float32).eps)
            if nz.size >= 2 and scale > 0:
                seq = per_event[nz[0]:]
                rising = np.mean(np.diff(seq) >= 0) >= 0.7 and seq[-1] >= 2 * seq[0]
                steps = (int(a.events[nz[-1]]) + 1) * case.steps_per_period
                ulps = per_event.max() / (eps32 * scale)
                if rising and 0.25 <= ulps <= 4 * steps:
                    out.append(f"{FLOAT32_TEXT}: the error rises from {_fmt(seq[0])} at event "
                               f"{int(a.events[nz[0]])} to {_fmt(seq[-1])} at event {int(a.events[nz[-1]])}, "
                               f"≈ {ulps:.0f} float32 ulps at weight scale {_fmt(scale)}"
                               + (" (this cell should be float64: is the device accumulating in float32?)"
                                  if a.cell.get("dtype") == "float64" else ""))
    elif "one-step schedule lag" in (a.cell.get("reason") or ""):
        out.append(f"{LAG_TEXT} (from the comparison's message; no stored observables to confirm it)")
    return out


# --- plots ----------------------------------------------------------------------------------------------

def _png(fig) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=96, bbox_inches="tight")
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def plot_totals(a: Analysis) -> str | None:
    """Per-post totals after each event, device (solid) against oracle (dashed), and their difference."""
    if a.got_totals is None or a.want_totals is None or not a.post.size:
        return None
    from matplotlib.figure import Figure

    fig = Figure(figsize=(5.2, 4.4))
    top, bottom = fig.subplots(2, 1, sharex=True, gridspec_kw={"height_ratios": [3, 2]})
    x = a.events
    colors = [f"C{k % 10}" for k in range(a.post.size)]
    for k, p in enumerate(a.post):
        label = f"post {p}" if a.post.size <= 8 else None
        top.plot(x, a.got_totals[:, k], "-o", color=colors[k], ms=3, lw=1.2, label=label)
        top.plot(x, a.want_totals[:, k], "--x", color=colors[k], ms=4, lw=1, alpha=0.8)
        bottom.plot(x, a.got_totals[:, k] - a.want_totals[:, k], "-o", color=colors[k], ms=3, lw=1.2)
    if a.post.size <= 8 and a.target is not None:
        for k in range(a.post.size):
            top.axhline(a.target[k], color=colors[k], lw=0.8, ls=":", alpha=0.7,
                        label="target B (dotted)" if k == 0 else None)
    top.set_ylabel("total after event")
    top.set_title("weight totals per post neuron: device (solid) vs oracle (dashed)", fontsize=10)
    if a.post.size <= 8:
        top.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0)
    tol = float(a.cell.get("tolerance") or 0.0)
    n_in = int(np.max(np.bincount(np.asarray(a.case.j, dtype=int), minlength=1), initial=0)) if a.case.j else 0
    tol_total = tol * (n_in + 1)
    if tol_total > 0:
        bottom.axhspan(-tol_total, tol_total, color="0.85", lw=0, label=f"tolerance ±{_fmt(tol_total)}")
        bottom.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0)
    bottom.axhline(0, color="0.4", lw=0.6)
    bottom.set_ylabel("device − oracle")
    bottom.set_xlabel(f"event (every {_fmt(a.case.period)} s)")
    if x.size <= 20:
        bottom.set_xticks(x)
    for ax in (top, bottom):
        ax.grid(alpha=0.3)
        ax.tick_params(labelsize=8)
    return _png(fig)


def plot_heatmap(a: Analysis) -> str | None:
    """|device − oracle| per synapse and event (the larger of before/after the event)."""
    if not a.has_plots or not a.events.size or not a.synapses.size:
        return None
    from matplotlib import colormaps
    from matplotlib.colors import LogNorm, Normalize
    from matplotlib.figure import Figure
    from matplotlib.ticker import FormatStrFormatter

    err = np.maximum(np.abs(a.got_before - a.want_before), np.abs(a.got_after - a.want_after))
    finite = np.isfinite(err)
    cap = float(err[finite].max()) if finite.any() else 1.0
    err = np.where(finite, err, cap * 10 if cap > 0 else 1.0)
    positive = err[err > 0]
    cmap = colormaps["viridis"].with_extremes(bad="white")
    if positive.size and positive.max() / positive.min() > 1e3:
        norm = LogNorm(vmin=positive.min(), vmax=positive.max())
        data = np.ma.masked_where(err <= 0, err)
    else:
        norm = Normalize(vmin=0, vmax=positive.max() if positive.size else 1.0)
        data = err
    w = min(6.2, max(4.0, 0.2 * a.synapses.size + 2.5))
    h = min(7.0, max(2.6, 0.22 * a.events.size + 1.6))
    fig = Figure(figsize=(w, h))
    ax = fig.subplots()
    im = ax.imshow(data, aspect="auto", interpolation="nearest", cmap=cmap, norm=norm, origin="upper")
    cb = fig.colorbar(im, ax=ax, format=FormatStrFormatter("%.2g") if isinstance(norm, Normalize)
                      and not isinstance(norm, LogNorm) else None)
    cb.set_label("|device − oracle|", fontsize=8)
    cb.ax.tick_params(labelsize=7)
    tol = float(a.cell.get("tolerance") or 0.0)
    # the tolerance on the colour scale, where it is distinguishable from the ends
    show_tol = tol > 0 and norm.vmin is not None and norm.vmin <= tol <= norm.vmax and (
        isinstance(norm, LogNorm) or 0.02 <= tol / norm.vmax <= 0.98)
    if show_tol:
        cb.ax.axhline(tol, color="red", lw=2.5)
    ax.set_title("per-synapse |device − oracle|", fontsize=10)
    ax.set_xlabel("synapse (post neuron)" + ("\nwhite = exact" if np.ma.is_masked(data) or not positive.size else "")
                  + ("; red line on the scale = tolerance" if show_tol else
                     f"; tolerance {_fmt(tol)}" if tol > 0 else ""),
                  fontsize=9)
    ax.set_ylabel("event")
    if a.synapses.size <= 40:
        ax.set_xticks(range(a.synapses.size))
        ax.set_xticklabels([f"{s} ({p})" for s, p in zip(a.synapses, a.j)], rotation=90, fontsize=7)
    if a.events.size <= 30:
        ax.set_yticks(range(a.events.size))
        ax.set_yticklabels([str(e) for e in a.events], fontsize=7)
    return _png(fig)


# --- documents ------------------------------------------------------------------------------------------

def _sources(results: dict) -> list[dict]:
    from brian2_harness.merge import sources_of
    return sources_of(results)


def _pivot(rows: list[dict]):
    variants = list(dict.fromkeys(r["variant"] for r in rows))
    columns = list(dict.fromkeys((r["device"], r["dtype"]) for r in rows))
    at = {(r["variant"], r["device"], r["dtype"]): r for r in rows}
    return variants, columns, at


def _counts(r: dict) -> str:
    c = r["counts"]
    return f"{c[PASS]}/{c[FAIL]}/{c[ERROR]}/{c[SKIP]}" + (f" +{c[BUILT]} built" if c[BUILT] else "")


def _ratio(r: dict) -> str:
    return "-" if r.get("ratio") is None else f"{r['ratio']:.2g}"


def _limit(r: dict) -> str:
    return "-" if r.get("limit_min") is None else f"{_fmt(r['limit_min'])} .. {_fmt(r['limit_max'])}"


def _lag_text(r: dict) -> str:
    if not r.get("lag_seen"):
        return "-"
    seen, n = r["lag_seen"]
    return f"{seen} of {n} cells"


def _failing(cells: list[dict]) -> list[dict]:
    return [c for c in cells if c.get("verdict") in (FAIL, ERROR)]


def _case_file_text(case) -> str:
    """A case file (`run --case-file`) holding this one case: one field per line, lists inline."""
    fields = ",\n".join(f"  {json.dumps(k)}: {json.dumps(v)}" for k, v in case.to_dict().items())
    return "[{\n" + fields + "\n}]"


def _repro(cell: dict, config: dict | None = None) -> str:
    return replay_for_cell(cell, config or {}, case_file="case.json")


def _divergence_text(first: dict | None) -> str:
    if not first:
        return "not determined"
    t = f" (t = {_fmt(first['time'])} s)" if first.get("time") is not None else ""
    n = f"; {first['n_synapses_off']} kept synapse(s) off at that event" if first.get("n_synapses_off") else ""
    return (f"event {first['event']}{t}, synapse {first['synapse']} (post {first['post']}), weight "
            f"{first['which']} the event: device {first['device']!r} vs oracle {first['oracle']!r}, "
            f"diff {_fmt(first['diff'])} (tolerance {_fmt(first['tolerance'])}){n}")


CSS = """
body{font-family:-apple-system,"Segoe UI",Helvetica,Arial,sans-serif;margin:24px auto;max-width:1320px;
 padding:0 16px;color:#1f2328;font-size:14px;line-height:1.45}
h1{font-size:24px;margin-bottom:4px} h2{font-size:19px;border-bottom:1px solid #d0d7de;padding-bottom:4px;margin-top:28px}
h3{font-size:16px;margin:0 0 6px 0}
table{border-collapse:collapse;margin:8px 0} th,td{border:1px solid #d0d7de;padding:4px 8px;text-align:left;vertical-align:top}
th{background:#f6f8fa} td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
.badge{display:inline-block;padding:1px 8px;border-radius:10px;font-weight:600;font-size:12px;color:#fff}
.muted{color:#59636e} .small{font-size:12px}
.cell{border:1px solid #d0d7de;border-left:6px solid #cf222e;border-radius:6px;padding:12px 16px;margin:16px 0}
.cell.error{border-left-color:#8250df}
.explain{background:#fff8c5;border:1px solid #d4a72c;border-radius:6px;padding:6px 10px;margin:6px 0}
.plots{display:flex;flex-wrap:wrap;gap:12px;margin-top:8px;align-items:flex-start}
.plots img{max-width:100%;height:auto;border:1px solid #eaeef2}
pre{background:#f6f8fa;border:1px solid #d0d7de;border-radius:6px;padding:8px;overflow:auto;font-size:12px;
 max-height:320px;white-space:pre-wrap;word-break:break-all}
code{font-size:12px;background:#f6f8fa;padding:1px 4px;border-radius:4px}
details{margin:6px 0} summary{cursor:pointer;font-weight:600}
.matrix td{text-align:center;min-width:120px} .kv td:first-child{font-weight:600;white-space:nowrap}
"""


def _badge(status: str) -> str:
    return f'<span class="badge" style="background:{COLORS.get(status, "#59636e")}">{html.escape(status.upper())}</span>'


_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _visible(text: str) -> str:
    """Control characters (from compiler output, say) shown as escapes instead of unrenderable glyphs."""
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


def render_html(results: dict, analyses: list[Analysis], n_left_out: int, generated: str) -> str:
    def e(text) -> str:
        return html.escape(_visible(str(text)))
    cells = results.get("cells", [])
    rows = group_rows([Verdict.from_dict(c) for c in cells])
    summary = results.get("summary") or {}
    out = ['<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">',
           '<meta name="viewport" content="width=device-width, initial-scale=1">',
           "<title>brian2-harness report</title>", f"<style>{CSS}</style></head><body>"]
    status = results.get("status", "?")
    out.append("<h1>brian2-harness verification report</h1>")
    counts = ", ".join(f"{summary.get(k, 0)} {k}" for k in (PASS, FAIL, ERROR, SKIP, BUILT) if summary.get(k))
    out.append(f'<p class="muted">status <b>{e(str(status))}</b> · {summary.get("cells", len(cells))} cells '
               f'({e(counts or "none")}) · generated {e(generated)}</p>')
    if results.get("required_missing"):
        out.append(f'<p><b style="color:#cf222e">required device(s) did not run:</b> '
                   f'{e(", ".join(results["required_missing"]))}</p>')

    # matrix
    out.append("<h2>Matrix</h2>")
    if rows:
        variants, columns, at = _pivot(rows)
        out.append('<p class="muted small">Each cell: verdict, pass/fail/error/skip counts, largest |error| '
                   'against the reference.</p><table class="matrix"><tr><th>variant</th>')
        out += [f"<th>{e(d)}<br><span class='muted small'>{e(t)}</span></th>" for d, t in columns]
        out.append("</tr>")
        for v in variants:
            out.append(f"<tr><th>{e(v)}</th>")
            for d, t in columns:
                r = at.get((v, d, t))
                if r is None:
                    out.append('<td class="muted">—</td>')
                    continue
                out.append(f'<td style="background:{BACKGROUND.get(r["status"], "#fff")}">{_badge(r["status"])}'
                           f'<br><span class="small">{e(_counts(r))}</span>'
                           f'<br><span class="small muted">max {e(_fmt(r["max_abs_err"]))}</span></td>')
            out.append("</tr>")
        out.append("</table>")
        out.append("<details><summary>details per variant × device × dtype</summary><table><tr>")
        out += [f"<th>{h}</th>" for h in ("variant", "device", "dtype", "verdict", "pass/fail/err/skip",
                                          "max |err|", "err / bound", "detection limit (min..max)",
                                          "sees a one-step lag", "clips judged / in band", "against", "note")]
        out.append("</tr>")
        for r in rows:
            out.append(f"<tr><td>{e(r['variant'])}</td><td>{e(r['device'])}</td><td>{e(r['dtype'])}</td>"
                       f"<td>{_badge(r['status'])}</td><td class='num'>{e(_counts(r))}</td>"
                       f"<td class='num'>{e(_fmt(r['max_abs_err']))}</td><td class='num'>{e(_ratio(r))}</td>"
                       f"<td class='num'>{e(_limit(r))}</td><td class='num'>{e(_lag_text(r))}</td>"
                       f"<td class='num'>{r.get('judged', 0)} / {r['boundary']}</td><td>{e(r['reference'])}</td>"
                       f"<td class='small'>{e(r['note'][:300])}</td></tr>")
        out.append("</table></details>")
    else:
        out.append("<p>No cells.</p>")

    # failures
    failing = _failing(cells)
    out.append(f"<h2>Failing cells ({len(failing)})</h2>")
    if not failing:
        out.append("<p>None: every cell that ran passed.</p>")
    if n_left_out:
        out.append(f'<p class="muted">Showing the first {len(analyses)}; {n_left_out} more failing cell(s) are '
                   f'left out (see summary.md or the JSON for all).</p>')
    for k, a in enumerate(analyses):
        c = a.cell
        cls = "cell error" if c["verdict"] == ERROR else "cell"
        out.append(f'<div class="{cls}" id="cell-{k}"><h3>{_badge(c["verdict"])} {e(_cell_label(c))}</h3>')
        out.append('<table class="kv small">')
        src = (c.get("extra") or {}).get("source")
        kv = [("against", c.get("reference") or "-"), ("max |err|", _fmt(c.get("max_abs_err"))),
              ("tolerance", _fmt(c.get("tolerance"))), ("reason", c.get("reason") or "-")]
        if src:
            kv.insert(0, ("source", src))
        if c["verdict"] != ERROR or a.case is not None:
            kv.append(("first divergence", _divergence_text(a.first)))
        if c.get("log"):
            kv.append(("worker log", c["log"]))
        out += [f"<tr><td>{e(key)}</td><td>{e(str(val))}</td></tr>" for key, val in kv]
        out.append("</table>")
        for text in a.explanations:
            out.append(f'<div class="explain"><b>Explanation:</b> {e(text)}</div>')
        if a.problem and c["verdict"] != ERROR:
            out.append(f'<p class="muted small">No plots: {e(a.problem)}.</p>')
        if a.has_plots:
            if a.left_out:
                out.append(f'<p class="muted small">Stored observables cover {e(a.left_out)}.</p>')
            imgs = [p for p in (plot_totals(a), plot_heatmap(a)) if p]
            out.append('<div class="plots">' + "".join(
                f'<img alt="plot {j + 1} of {e(_cell_label(c))}" src="{p}">' for j, p in enumerate(imgs)) + "</div>")
        if a.case is not None:
            out.append(f"<details><summary>case ({a.case.n_pre} pre, {a.case.n_post} post, {a.case.n_synapses} "
                       f"synapses, {a.case.n_events} events) — save as case.json</summary>"
                       f"<pre>{e(_case_file_text(a.case))}</pre>"
                       f"<p class='small'>reproduce: <code>{e(_repro(c, results.get('config')))}</code></p></details>")
        out.append("</div>")

    # provenance
    out.append("<h2>Environment</h2>")
    for s in _sources(results):
        env = s.get("environment") or {}
        title = s.get("label") or "results"
        extra = f" — {e(s['file'])}" if s.get("file") else ""
        out.append(f"<h3>{e(title)}{extra} <span class='muted small'>status {e(str(s.get('status')))}"
                   f"{', %.1f s' % s['seconds'] if isinstance(s.get('seconds'), (int, float)) else ''}</span></h3>")
        out.append('<table class="kv small">' + "".join(
            f"<tr><td>{e(str(k))}</td><td>{e(str(v))}</td></tr>" for k, v in env.items()) + "</table>")
        cfg = s.get("config") or {}
        if cfg:
            out.append(f"<details><summary>configuration</summary><pre>{e(json.dumps(cfg, indent=1))}</pre></details>")
    out.append("</body></html>")
    return "\n".join(out)


def render_markdown(results: dict, analyses: list[Analysis], n_left_out: int, generated: str) -> str:
    cells = results.get("cells", [])
    rows = group_rows([Verdict.from_dict(c) for c in cells])
    summary = results.get("summary") or {}

    def md(text) -> str:
        return _visible(str(text)).replace("|", "\\|").replace("\n", " ")

    out = ["# brian2-harness verification report", ""]
    counts = ", ".join(f"{summary.get(k, 0)} {k}" for k in (PASS, FAIL, ERROR, SKIP, BUILT) if summary.get(k))
    out.append(f"Status **{results.get('status', '?')}**: {summary.get('cells', len(cells))} cells "
               f"({counts or 'none'}). Generated {generated}.")
    if results.get("required_missing"):
        out.append(f"\n**Required device(s) did not run:** {', '.join(results['required_missing'])}")
    out += ["", "## Matrix", ""]
    if rows:
        variants, columns, at = _pivot(rows)
        out.append("Verdict, pass/fail/error/skip, largest \\|error\\|.")
        out.append("")
        out.append("| variant | " + " | ".join(f"{d} {t}" for d, t in columns) + " |")
        out.append("|---|" + "---|" * len(columns))
        for v in variants:
            vals = []
            for d, t in columns:
                r = at.get((v, d, t))
                vals.append("—" if r is None else
                            f"**{r['status'].upper()}** {_counts(r)}, max {_fmt(r['max_abs_err'])}")
            out.append(f"| {md(v)} | " + " | ".join(md(x) for x in vals) + " |")
        out += ["", "| variant | device | dtype | verdict | pass/fail/err/skip | max \\|err\\| | err / bound | "
                "detection limit | sees a lag | against |",
                "|---|---|---|---|---|---|---|---|---|---|"]
        for r in rows:
            out.append(f"| {md(r['variant'])} | {md(r['device'])} | {md(r['dtype'])} | {r['status'].upper()} | "
                       f"{_counts(r)} | {_fmt(r['max_abs_err'])} | {_ratio(r)} | {_limit(r)} | {_lag_text(r)} | "
                       f"{md(r['reference'])} |")
    else:
        out.append("No cells.")
    failing = _failing(cells)
    out += ["", f"## Failing cells ({len(failing)})", ""]
    if not failing:
        out.append("None.")
    for a in analyses:
        c = a.cell
        out.append(f"### {c['verdict'].upper()} {_cell_label(c)}")
        out.append("")
        out.append(f"- against: {c.get('reference') or '-'}; max \\|err\\| {_fmt(c.get('max_abs_err'))}, "
                   f"tolerance {_fmt(c.get('tolerance'))}")
        out.append(f"- reason: {md(c.get('reason') or '-')}")
        if c["verdict"] != ERROR or a.case is not None:
            out.append(f"- first divergence: {_divergence_text(a.first)}")
        for text in a.explanations:
            out.append(f"- explanation: {text}")
        if a.case is not None:
            out += ["", "<details><summary>case.json</summary>", "", "```json", _case_file_text(a.case), "```", "",
                    f"`{_repro(c, results.get('config'))}`", "", "</details>"]
        out.append("")
    if n_left_out:
        out.append(f"{n_left_out} more failing cell(s) left out.")
        out.append("")
    out += ["## Environment", ""]
    for s in _sources(results):
        env = s.get("environment") or {}
        out.append(f"- **{s.get('label') or 'results'}** ({s.get('status')}): " +
                   ", ".join(f"{k} {v}" for k, v in env.items() if v is not None and k in (
                       "python", "numpy", "brian2", "brian2cuda", "gcc", "nvcc", "platform")))
    return "\n".join(out) + "\n"


def write_report(results: dict, out_dir, *, max_failures: int = MAX_FAILURES) -> dict:
    """Write `index.html` and `summary.md` into `out_dir` (created); return their paths."""
    out_dir = os.fspath(out_dir)
    try:
        os.makedirs(out_dir, exist_ok=True)
    except OSError as exc:
        raise UsageError(f"report folder '{out_dir}': {exc.strerror or exc}") from None
    failing = _failing(results.get("cells", []))
    shown = failing[:max(0, max_failures)]
    oracles = _OracleMemo()
    analyses = [analyse(c, oracles) for c in shown]
    generated = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    left = len(failing) - len(shown)
    paths = {"html": os.path.join(out_dir, "index.html"), "markdown": os.path.join(out_dir, "summary.md")}
    html_text = render_html(results, analyses, left, generated)
    md_text = render_markdown(results, analyses, left, generated)
    try:
        atomic_write_text(paths["html"], html_text)
        atomic_write_text(paths["markdown"], md_text)
    except OSError as exc:
        raise UsageError(f"report folder '{out_dir}': {exc.strerror or exc}") from None
    return paths


# --- command line --------------------------------------------------------------------------------------

def add_parser(subparsers):
    p = subparsers.add_parser("report", help="HTML + Markdown report (with plots of failing cells) from run --json")
    p.add_argument("results", metavar="RESULTS.json", help="document written by `run --json` (or `merge`)")
    p.add_argument("--out", required=True, metavar="DIR", help="folder for index.html and summary.md")
    p.add_argument("--max-failures", type=int, default=MAX_FAILURES,
                   help=f"failing cells shown in detail (default {MAX_FAILURES})")
    return p


def run(args) -> int:
    from brian2_harness.merge import load_results

    if args.max_failures < 0:
        raise UsageError(f"--max-failures must be >= 0, got {args.max_failures}")
    paths = write_report(load_results(args.results), args.out, max_failures=args.max_failures)
    print(f"report: {paths['html']} and {paths['markdown']}")
    return 0
