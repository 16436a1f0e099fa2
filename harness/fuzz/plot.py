"""A finding's picture, OUT/findings/<id>/plot.png: check's own difference plot (reports/check_plots.py: reference
and device around the first difference, and their difference, or both spike rasters) of the first disagreeing
device whose first difference carries a window in the check document saved with the finding (its final check).
A finding without one (an error, a statistical difference, no difference left) gets the reason instead."""
from __future__ import annotations

import base64
import os

from ..atomic import atomic_write_bytes
from ..reports.check_plots import difference_plot

FILE = "plot.png"
PREFIX = "data:image/png;base64,"


def _why_not(device: str, entry: dict | None) -> str:
    """Why `device`'s entry of the check document has no plottable first difference."""
    if entry is None:
        return f"{device} did not run in the final check"
    first = entry.get("first_difference")
    if entry.get("verdict") == "error":
        return f"{device} errored (no values to compare)"
    if not first:
        return f"{device} has no difference of values in the final check ({entry.get('verdict')})"
    if first.get("kind") == "statistic":
        return f"{device}'s difference is statistical ({first.get('observable')})"
    return f"{device}'s first difference ({first.get('observable')}) carries no window of values"


def write(where: str, devices: list[str], reference: str, check_doc: dict) -> dict:
    """Write `where`/plot.png (atomically) from `check_doc`; returns the finding's `plot` field: {"file",
    "device", "observable"} when written, {"none": reason} when there is nothing to plot."""
    scripts = check_doc.get("scripts") or [{}]
    entries = scripts[0].get("devices") or {}
    reference = scripts[0].get("reference") or reference
    reasons = []
    for d in devices:
        entry = entries.get(d)
        first = (entry or {}).get("first_difference")
        uri = difference_plot(first, d, reference) if first else None
        if uri is None or not uri.startswith(PREFIX):
            reasons.append(_why_not(d, entry))
            continue
        atomic_write_bytes(os.path.join(where, FILE), base64.b64decode(uri[len(PREFIX):]))
        return {"file": FILE, "device": d, "observable": first.get("observable")}
    return {"none": "; ".join(reasons) or "no disagreeing device"}


def describe(out: str, finding: dict) -> tuple[str | None, str]:
    """(the plot's path relative to OUT, its caption) when the finding has a plot on disk, else (None, why not)."""
    plot = finding.get("plot") or {}
    if plot.get("file"):
        rel = f"findings/{finding['id']}/{plot['file']}"
        if os.path.isfile(os.path.join(out, rel)):
            return rel, f"{plot.get('observable')}: {plot.get('device')} vs {finding['reference']}"
        return None, f"{rel} is missing"
    return None, plot.get("none") or "none recorded (the finding was saved before plots were made)"
