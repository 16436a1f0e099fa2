"""Pictures of a `check` document: both traces and their difference (or both spike rasters) around a device's
first difference, and the headroom per observable of an agreement. Input is the JSON document's data only."""
from __future__ import annotations

import numpy as np

from brian2_harness.families.diagnosis import png


def _arr(values) -> np.ndarray:
    return np.array([np.nan if v is None else v for v in values], dtype=float)


def difference_plot(first: dict, device: str, reference: str) -> str | None:
    """PNG data URI for a first difference that carries a window (None for statistics or without data)."""
    window = first.get("window") if isinstance(first, dict) else None
    if not window:
        return None
    from matplotlib.figure import Figure
    if first.get("kind") == "spikes":
        fig = Figure(figsize=(7.5, 3.4))
        ax = fig.subplots()
        for data, label, marker, color in ((window["reference"], reference, "o", "#0969da"),
                                           (window["device"], device, "x", "#cf222e")):
            ax.plot(np.asarray(data["t"], dtype=float) * 1e3, data["i"], marker, ms=4, ls="", color=color,
                    label=f"{label} ({len(data['t'])} spikes)", mfc="none" if marker == "o" else color)
        ax.axvline(first["time"] * 1e3, color="#59636e", ls="--", lw=1, label="first unmatched spike")
        ax.set_xlabel("time (ms)")
        ax.set_ylabel("neuron index")
        ax.set_title(f"{first['observable']}: spike rasters around the first unmatched spike "
                     f"(neuron {first['index']})", fontsize=9)
        ax.legend(fontsize=7, loc="upper left")
        return png(fig)
    x_key = "t" if "t" in window else "index"
    x = _arr(window[x_key]) * (1e3 if x_key == "t" else 1.0)
    dev, ref = _arr(window["device"]), _arr(window["reference"])
    fig = Figure(figsize=(7.5, 4.6))
    top, bottom = fig.subplots(2, 1, sharex=True, gridspec_kw={"height_ratios": [2, 1]})
    top.plot(x, ref, "-", color="#0969da", lw=1.6, label=f"{reference} (reference)")
    top.plot(x, dev, "--", color="#cf222e", lw=1.2, label=device)
    bottom.plot(x, dev - ref, "-", color="#8250df", lw=1.2)
    at = first["time"] * 1e3 if x_key == "t" and first.get("time") is not None else first.get("index")
    for ax in (top, bottom):
        if at is not None:
            ax.axvline(at, color="#59636e", ls="--", lw=1)
    unit = f" ({first['unit']})" if first.get("unit") else ""
    top.set_ylabel(f"{first['observable']}{unit}", fontsize=8)
    top.legend(fontsize=7)
    top.set_title(f"{first['observable']}, index {first['index']}: both traces around the first difference",
                  fontsize=9)
    bottom.set_ylabel(f"{device} − {reference}", fontsize=8)
    bottom.set_xlabel("time (ms)" if x_key == "t" else "element")
    return png(fig)


def headroom_plot(rows: list[dict]) -> str | None:
    """Bar chart of |difference| / bound per (device, observable) of agreeing devices; 1 is the bound."""
    rows = [r for r in rows if r.get("ratio") is not None]
    if not rows:
        return None
    from matplotlib.figure import Figure
    labels = [f"{r['device']}: {r['observable']}" for r in rows]
    ratios = np.array([max(r["ratio"], 1e-18) for r in rows])
    fig = Figure(figsize=(7.5, 0.32 * len(rows) + 1.4))
    ax = fig.subplots()
    colors = ["#1a7f37" if r < 1 else "#cf222e" for r in ratios]
    ax.barh(range(len(rows)), ratios, color=colors, left=1e-18)
    ax.set_xscale("log")
    ax.axvline(1.0, color="#cf222e", ls="--", lw=1, label="bound")
    ax.set_yticks(range(len(rows)))
    ax.set_yticklabels(labels, fontsize=7)
    ax.set_xlim(1e-18, max(10.0, float(ratios.max()) * 2))
    ax.set_xlabel("largest |difference| / bound (0 = bit-identical, shown at 1e-18)", fontsize=8)
    ax.set_title("headroom per observable", fontsize=9)
    ax.invert_yaxis()
    return png(fig)
