"""What a report shows of one failing cell, whatever its family: the first divergence (data, from the comparison),
explanations of known patterns, figures, notes. Families fill it in (`Family.diagnose`); the reports only render."""
from __future__ import annotations

import base64
import io
from dataclasses import dataclass, field

import numpy as np


@dataclass
class Diagnosis:
    first: dict | None = None               # the first divergence (families/comparison.py schema)
    explanations: list[str] = field(default_factory=list)
    figures: list[str] = field(default_factory=list)   # PNG data URIs
    notes: list[str] = field(default_factory=list)
    problem: str = ""                       # why there are no figures


def fmt(x) -> str:
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


def png(fig) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=96, bbox_inches="tight")
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def divergence_text(first: dict | None) -> str:
    """One line from the first-divergence data (never parsed back out of a reason text)."""
    if not first:
        return "not determined"
    where = first.get("observable", "value")
    if first.get("event") is not None:
        where += f" at event {first['event']}"
        if first.get("time") is not None:
            where += f" (t = {fmt(first['time'])} s)"
    if first.get("index") is not None:
        where += f", index {first['index']}"
    if first.get("post") is not None:
        where += f" (post {first['post']})"
    val = f"device {first.get('device')!r} vs reference {first.get('reference')!r}"
    diff = f", diff {fmt(first['diff'])}" if first.get("diff") is not None else ""
    tol = f" (bound {fmt(first['tolerance'])})" if first.get("tolerance") is not None else ""
    n = f"; {first['n_off']} kept synapse(s) off at that event" if first.get("n_off") else ""
    why = f" — {first['explanation']}" if first.get("explanation") else ""
    return f"{where}: {val}{diff}{tol}{n}{why}"
