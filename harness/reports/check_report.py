"""HTML and Markdown reports of a `check` document, through the same Jinja2 environment, stylesheet and badge
macro as the run reports (render.py, templates/): per script a verdict table of its devices; for a device that
differs its first difference (data and plot); for an agreement the headroom per observable."""
from __future__ import annotations

import json
import os
from datetime import datetime, timezone

from brian2_harness.atomic import atomic_write_text
from brian2_harness.errors import UsageError
from brian2_harness.families.diagnosis import fmt
from brian2_harness.reports.check_plots import difference_plot, headroom_plot
from brian2_harness.reports.render import css, environment
from brian2_harness.verdicts import AGREE, AGREE_STAT, BUILT, ERROR, FAIL, REFERENCE, SKIP

COLORS = {AGREE: "#1a7f37", AGREE_STAT: "#1a7f37", FAIL: "#cf222e", ERROR: "#8250df", SKIP: "#9a6700",
          BUILT: "#0969da", REFERENCE: "#59636e"}
NAMES = {AGREE: "agree", AGREE_STAT: "agree (stat)", FAIL: "fail", ERROR: "error", SKIP: "skip",
         BUILT: "built", REFERENCE: "reference"}


def difference_text(first: dict | None) -> str:
    if not first:
        return "-"
    where = first["observable"]
    if first.get("index") is not None:
        where += f", index {first['index']}"
    if first.get("time") is not None:
        where += f", t = {fmt(first['time'] * 1e3)} ms"
    unit = f" {first['unit']}" if first.get("unit") else ""
    text = (f"{where}: device value {fmt(first['device_value'])}{unit} vs reference value "
            f"{fmt(first['reference_value'])}{unit}")
    if first.get("p") is not None:
        text += f" (p = {fmt(first['p'])}, Holm-adjusted {fmt(first.get('p_adjusted'))})"
    elif first.get("points_over") is not None:
        text += f"; {first['points_over']} of {first['points']} points beyond the bound"
    return text


def _device_view(script: dict, name: str, d: dict, figures: bool) -> dict:
    reference = script.get("reference") or "reference"
    first = d.get("first_difference")
    power = [p for p in d.get("power") or [] if p.get("detectable") is not None]
    return {"name": name, "verdict": d["verdict"], "badge": NAMES.get(d["verdict"], d["verdict"]),
            "color": COLORS.get(d["verdict"], "#59636e"), "reason": d.get("reason") or "",
            "seeds": len(d.get("seeds") or []), "seconds": d.get("seconds") or 0.0,
            "first": first, "first_text": difference_text(first),
            "plot": difference_plot(first, name, reference) if figures and first else None,
            "headroom": [{**h, "ratio_text": "0 (identical)" if h.get("identical") else fmt(h.get("ratio")),
                          "max_text": fmt(h.get("max_difference")), "bound_text": fmt(h.get("bound"))}
                         for h in d.get("headroom") or []],
            "power_text": "; ".join(f"{p['statistic']}: {fmt(p['detectable'])} {p.get('unit') or ''}".strip()
                                    for p in power[:8])}


def _script_view(s: dict, figures: bool) -> dict:
    devices = [_device_view(s, n, d, figures) for n, d in s["devices"].items()]
    agreeing = [{"device": d["name"], **h} for d in devices if d["verdict"] in ("agree", "agree_stat")
                for h in d["headroom"]]
    return {**s, "badge": NAMES.get(s["verdict"], s["verdict"]), "color": COLORS.get(s["verdict"], "#59636e"),
            "device_views": devices, "differing": [d for d in devices if d["first"]],
            "headroom_plot": headroom_plot(agreeing) if figures and agreeing else None,
            "name": os.path.basename(s["script"])}


def check_context(doc: dict, *, figures: bool = True) -> dict:
    summary = doc.get("summary") or {}
    counts = ", ".join(f"{v} {k}" for k, v in summary.items() if k != "scripts" and v)
    sources = doc.get("sources") or [{"label": "check", "environment": doc.get("environment") or {},
                                      "config": doc.get("config") or {}, "status": doc.get("status")}]
    return {"status": doc.get("status", "?"), "n_scripts": summary.get("scripts", len(doc["scripts"])),
            "counts": counts or "none", "generated": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
            "format": doc.get("format"), "required_missing": doc.get("required_missing") or [],
            "scripts": [_script_view(s, figures) for s in doc["scripts"]],
            "sources": [{**src, "config_text": json.dumps(src.get("config") or {}, indent=1)} for src in sources]}


def write_check_report(doc: dict, out_dir=None, *, markdown_file=None) -> dict:
    """`index.html` and `summary.md` into `out_dir` (when given) and/or the Markdown to `markdown_file`."""
    paths = {}
    context = check_context(doc, figures=out_dir is not None)
    try:
        if out_dir is not None:
            out_dir = os.fspath(out_dir)
            os.makedirs(out_dir, exist_ok=True)
            paths["html"] = os.path.join(out_dir, "index.html")
            paths["markdown"] = os.path.join(out_dir, "summary.md")
            atomic_write_text(paths["html"], environment(True).get_template("check_report.html.j2")
                              .render(css=css(), **context))
        markdown = environment(False).get_template("check_summary.md.j2").render(**context)
        for key, path in (("markdown", paths.get("markdown")), ("markdown_file", markdown_file)):
            if path:
                atomic_write_text(os.fspath(path), markdown)
                paths[key] = os.fspath(path)
    except OSError as exc:
        raise UsageError(f"report '{out_dir or markdown_file}': {exc.strerror or exc}") from None
    return paths
