"""What the report shows of a failing growth cell: the first divergence, known patterns (a one-step lag, float32-like
rounding growth) and two plots (totals per post neuron, per-synapse error), recomputing the oracle from the case."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from brian2_harness.families.diagnosis import Diagnosis
from brian2_harness.families.diagnosis import fmt as _fmt
from brian2_harness.families.diagnosis import png as _png
from brian2_harness.families.growth.network import pack
from brian2_harness.families.growth.oracle import simulate

LAG_TEXT = "off by exactly g·dt per synapse: one-step schedule lag"
FLOAT32_TEXT = "grows with steps like float32 rounding"


def _oracle(case, schedule):
    net, blocks = pack([case])
    return simulate(net, schedule).block(blocks[0])


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


def analyse(cell: dict, case, schedule: str | None) -> Analysis:
    a = Analysis(cell=cell, case=case, schedule=schedule)
    extra = cell.get("extra") or {}
    obs = extra.get("observed")
    if a.case is None:
        a.problem = a.problem or "no case in the results (only failing cells of oracle-checked variants carry one)"
    elif a.schedule is None:
        a.problem = f"compared with {cell.get('reference') or 'nothing'}, not with an oracle"
    elif not isinstance(obs, dict):
        a.problem = "no device observables in the results (extra['observed']); re-run with this harness version"
    else:
        try:
            _fill(a, obs, _oracle(a.case, a.schedule))
        except Exception as exc:  # a malformed field must not stop the whole report
            a.problem = f"could not compare the stored observables with the oracle: {type(exc).__name__}: {exc}"
            a.got_after = None
    if a.first is None and cell.get("first"):
        a.first = dict(cell["first"])
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
        a.first = {"observable": f"w_{which}", "event": e, "time": e * a.case.period, "index": int(syn[k]),
                   "post": int(a.j[k]), "device": float(got[r, k]), "reference": float(want[r, k]),
                   "diff": float(got[r, k] - want[r, k]), "tolerance": tol, "n_off": int(np.sum(bad[r]))}


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




def diagnose(cell: dict, case, semantics: str | None) -> Diagnosis:
    a = analyse(cell, case, semantics)
    figures = [p for p in (plot_totals(a), plot_heatmap(a)) if p] if a.has_plots else []
    notes = [f"Stored observables cover {a.left_out}."] if a.has_plots and a.left_out else []
    return Diagnosis(first=a.first, explanations=a.explanations, figures=figures, notes=notes, problem=a.problem)
