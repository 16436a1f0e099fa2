"""Pictures of a whole run: the headroom of every variant x device x dtype (largest error / its bound) with the
detection limit, so a passing run shows how close it came and how much it could see."""
from __future__ import annotations

import numpy as np

from brian2_harness.families.diagnosis import fmt, png


def headroom_heatmap(rows: list[dict]) -> str | None:
    """Heatmap of log10(err/bound) per (variant, device/dtype); annotated with the ratio and the detection limit."""
    rows = [r for r in rows if r.get("ratio") is not None]
    if not rows:
        return None
    from matplotlib import colormaps
    from matplotlib.colors import TwoSlopeNorm
    from matplotlib.figure import Figure

    variants = list(dict.fromkeys(r["variant"] for r in rows))
    columns = list(dict.fromkeys((r["device"], r["dtype"]) for r in rows))
    at = {(r["variant"], r["device"], r["dtype"]): r for r in rows}
    data = np.full((len(variants), len(columns)), np.nan)
    for a, v in enumerate(variants):
        for b, (d, t) in enumerate(columns):
            r = at.get((v, d, t))
            if r is not None:
                data[a, b] = np.log10(max(r["ratio"], 1e-18)) if np.isfinite(r["ratio"]) else 3.0
    fig = Figure(figsize=(min(14, 1.9 * len(columns) + 2.5), 0.62 * len(variants) + 1.8))
    ax = fig.subplots()
    low = float(np.nanmin(data)) if np.isfinite(data).any() else -1.0
    norm = TwoSlopeNorm(vmin=min(low, -1.0), vcenter=0.0, vmax=max(float(np.nanmax(data)), 1.0))
    cmap = colormaps["RdYlGn_r"].with_extremes(bad="#eeeeee")
    im = ax.imshow(np.ma.masked_invalid(data), cmap=cmap, norm=norm, aspect="auto")
    for a, v in enumerate(variants):
        for b, (d, t) in enumerate(columns):
            r = at.get((v, d, t))
            if r is None:
                continue
            lim = f"\nlimit {fmt(r['limit_max'])}" if r.get("limit_max") is not None else ""
            dark = np.isfinite(data[a, b]) and abs(float(norm(data[a, b])) - 0.5) > 0.3
            ax.text(b, a, f"{r['ratio']:.1e}{lim}", ha="center", va="center", fontsize=7,
                    color="white" if dark else "black")
    ax.set_xticks(range(len(columns)))
    ax.set_xticklabels([f"{d}\n{t}" for d, t in columns], fontsize=7)
    ax.set_yticks(range(len(variants)))
    ax.set_yticklabels(variants, fontsize=8)
    cb = fig.colorbar(im, ax=ax)
    cb.set_label("log10(largest error / its bound); > 0 fails", fontsize=8)
    ax.set_title("headroom per variant × device × dtype (text: largest err/bound; the deviation every neuron of every "
                 "cell is guaranteed to flag)", fontsize=9)
    return png(fig)
