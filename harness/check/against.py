"""A script's results now against its recorded baseline (`check SCRIPT --against DIR`), device by device.

Each device is compared with its own recording, the way devices are compared with each other: exactly
(exact.compare_runs: the same derived tolerances, the observable, index and time of the first difference) when both
runs were exact, else statistically (stats.compare_statistics over the seeds of each side, Holm at alpha). Verdict
words are those of device comparison: agree, agree_stat, fail, error (the device ran in the baseline and errors
now), skip (nothing to compare: the device ran in neither, or only now, or has a record on one side only: each is
named). Fewer than two devices compared is no agreement (skip, exit 1), as in `check`.

Which side moved: a device that changed is set against the device comparison of each side. It moved away from the
other devices (agreed with the reference in the baseline, disagrees now), moved with them (agrees in both: a change
on every device), or came back to them (the baseline was the odd one out).
"""
from __future__ import annotations

from dataclasses import dataclass, field

from ..verdicts import AGREE, AGREE_STAT, ERROR, FAIL, OK, REFERENCE, SKIP, WITH_OTHERS
from . import exact, stats
from .records import DeviceRecord

__all__ = ["AGREE", "AGREE_STAT", "ERROR", "FAIL", "SKIP", "WITH_OTHERS", "AgainstResult", "DeviceAgainst",
           "compare_device"]


@dataclass
class DeviceAgainst:
    device: str
    verdict: str
    reason: str
    moved: str = ""
    exact: exact.ExactResult | None = None
    stat: stats.StatResult | None = None

    def to_dict(self) -> dict:
        return {"device": self.device, "verdict": self.verdict, "reason": self.reason, "moved": self.moved}


@dataclass
class AgainstResult:
    script: str
    verdict: str
    reason: str
    baseline: str                        # label of the baseline's environment
    now: str                             # label of this run's environment
    devices: dict = field(default_factory=dict)      # device -> DeviceAgainst
    notes: list = field(default_factory=list)

    def to_dict(self) -> dict:
        return {"script": self.script, "verdict": self.verdict, "reason": self.reason, "baseline": self.baseline,
                "now": self.now, "devices": {d: v.to_dict() for d, v in self.devices.items()}, "notes": self.notes}


def compare_device(base: DeviceRecord, now: DeviceRecord, tolerance: exact.Tolerance | None = None,
                   alpha: float = 0.01) -> DeviceAgainst:
    """One device now (`now`) against its baseline (`base`)."""
    d = base.device
    if base.status != OK and now.status != OK:
        return DeviceAgainst(d, SKIP, f"ran in neither: baseline {base.status} ({base.reason}); now {now.status} "
                                      f"({now.reason})")
    if base.status != OK:
        return DeviceAgainst(d, SKIP, f"runs now but not in the baseline ({base.status}: {base.reason}): nothing to "
                                      f"compare with")
    if now.status != OK:
        return DeviceAgainst(d, ERROR if now.status == ERROR else SKIP,
                             f"ran in the baseline, now {now.status}: {now.reason}")
    pair = exact_pair(base, now)
    if pair is not None:
        t_end = max(base.t_end, now.t_end)
        new, old = pair
        old_obs, left_out = _as_collected_now(base, old.observables, new.observables)
        res = exact.compare_runs(new.observables, old_obs, tolerance or exact.Tolerance(), t_end)
        reason = _sides(res, new.observables, old_obs)
        if left_out:
            reason += (f"; {left_out} module-level name(s) of the baseline left out: it was recorded when imported "
                       "names (from brian2 import *) counted as a monitor-less script's results")
        return DeviceAgainst(d, AGREE if res.agree else FAIL, reason, exact=res)
    lists = {"baseline": [r.statistics for r in base.runs], "now": [r.statistics for r in now.runs]}
    if len(lists["baseline"]) < 2 or len(lists["now"]) < 2:
        return DeviceAgainst(d, ERROR, f"statistical comparison needs >= 2 runs on each side (baseline "
                                       f"{len(lists['baseline'])}, now {len(lists['now'])})")
    st = stats.compare_statistics("baseline", lists, alpha)
    bad = [t for t in st.tests if t.rejected]
    if bad:
        t = min(bad, key=lambda x: x.p)
        reason = (f"statistically different: {t.statistic}: {t.mean:.4g} now vs {t.ref_mean:.4g} {t.unit} in the "
                  f"baseline (p = {t.p:.2g}, Holm-adjusted {t.p_adjusted:.2g})").replace("  ", " ")
        reason += stats.constant_note(t, min(len(lists["baseline"]), len(lists["now"])))
        return DeviceAgainst(d, FAIL, reason, stat=st)
    return DeviceAgainst(d, AGREE_STAT, f"statistically equivalent ({len(lists['now'])} vs {len(lists['baseline'])} "
                                        f"seeds, alpha = {alpha}, {st.m} statistics, Holm)", stat=st)


def _as_collected_now(base: DeviceRecord, old: dict, new: dict) -> tuple[dict, int]:
    """The baseline's observables as today's harness would have taken them: a record of collection 1 held the
    imported names of a script without monitors (`globals.*`, collect.COLLECTED); those the run of now lacks are
    left out (with their count)."""
    if base.collected >= 2:
        return old, 0
    drop = [n for n in old if n.startswith("globals.") and n not in new]
    return {n: o for n, o in old.items() if n not in drop}, len(drop)


def exact_pair(base: DeviceRecord, now: DeviceRecord):
    """(now's run, the baseline's run) to compare exactly, or None (statistically). Exact when both records are
    exact, and also when one side holds a single run and both have a run at the same seed: in a mixed-mode check a
    device judged exactly (the reference's random stream) keeps one run while the script's mode is "mixed", and a
    run is determined by its seed, so that pair is compared like an exact one instead of not at all."""
    if not (base.runs and now.runs):
        return None
    if base.mode == "exact" and now.mode == "exact":
        return now.runs[0], base.runs[0]
    if min(len(base.runs), len(now.runs)) >= 2:
        return None
    old = {r.seed: r for r in base.runs if r.observables}
    common = [r for r in now.runs if r.seed in old and r.observables]      # statistics alone: nothing to compare
    return (common[0], old[common[0].seed]) if common else None


def _sides(res: exact.ExactResult, now: dict, base: dict) -> str:
    """The comparison's summary with observables present on one side named by side (baseline or now)."""
    if not res.missing:
        return res.summary
    head = res.summary.split("only on one device: ")[0].rstrip("; ")
    only_base, only_now = sorted(set(base) - set(now)), sorted(set(now) - set(base))
    parts = ([f"only in the baseline: {', '.join(only_base[:5])}"] if only_base else []) + \
        ([f"only now: {', '.join(only_now[:5])}"] if only_now else [])
    return f"{head}{'; ' if not head.endswith(':') else ' '}{'; '.join(parts)}"


def with_others(records: dict, device: str) -> bool:
    """Whether `device` agreed with the other devices of its run: its verdict, or for the reference, whether every
    other device that ran agreed with it."""
    r = records[device]
    if r.verdict == REFERENCE:
        return all(x.verdict in WITH_OTHERS for k, x in records.items() if k != device and x.status == OK)
    return r.verdict in WITH_OTHERS


def moved(base: DeviceRecord, now: DeviceRecord, changed: bool, all_changed: bool, was: bool | None = None,
          becomes: bool | None = None, also: tuple = ()) -> str:
    """Which side moved away from the other devices (empty when the device did not change). `was`/`becomes`:
    whether the device agreed with the others in the baseline / now (default: its own verdict); `also`: the other
    devices that changed."""
    if not changed:
        return ""
    was = base.verdict in WITH_OTHERS if was is None else was
    becomes = now.verdict in WITH_OTHERS if becomes is None else becomes
    ref = now.reference or base.reference or "the reference"
    if was and not becomes and also:
        return (f"moved, as did {', '.join(also)}; the devices agreed with each other in the baseline and no longer "
                f"do")
    if was and not becomes:
        return (f"now moved away from the other devices: agreed with {base.reference} in the baseline, now "
                f"{now.verdict} against {ref} ({now.verdict_reason})")
    if not was and becomes:
        return (f"the baseline was away from the other devices ({base.verdict} against {base.reference}: "
                f"{base.verdict_reason}); now it agrees with {ref}")
    if was and becomes:
        return ("moved together with the other devices (they agree with each other in both): a change on every "
                "device" if all_changed else f"moved, still agreeing with {ref}")
    return f"disagrees with the other devices in both (baseline: {base.verdict}; now: {now.verdict})"


def against(script: str, base: dict, now: dict, tolerance: exact.Tolerance | None = None,
            alpha: float = 0.01) -> AgainstResult:
    """`base`, `now`: device -> DeviceRecord (records.load_script, records.from_check)."""
    labels = [next(iter(x.values())).label() if x else "-" for x in (base, now)]
    out = AgainstResult(script, SKIP, "", labels[0], labels[1])
    if not base:
        out.verdict, out.reason = ERROR, "no baseline recorded for this script"
        return out
    digests = {r.script_sha256 for r in list(base.values()) + list(now.values()) if r.script_sha256}
    if len(digests) > 1:
        out.notes.append("the script's text differs from the recorded one (sha256): a difference may be the edit")
    for d in [*base, *(x for x in now if x not in base)]:
        if d not in now:
            out.devices[d] = DeviceAgainst(d, SKIP, "in the baseline, not run now: not compared")
            continue
        if d not in base:
            out.devices[d] = DeviceAgainst(d, SKIP, "ran now, but the baseline has no record of it: not compared")
            continue
        try:
            out.devices[d] = compare_device(base[d], now[d], tolerance, alpha)
        except Exception as exc:  # noqa: BLE001  (a comparison problem is a verdict, never a crash)
            out.devices[d] = DeviceAgainst(d, ERROR, f"comparison failed: {type(exc).__name__}: {exc}")
    judged = [v for v in out.devices.values() if v.verdict in (AGREE, AGREE_STAT, FAIL, ERROR)]
    changed = {v.device for v in judged if v.verdict in (FAIL, ERROR)}
    for v in judged:
        d = v.device
        if len(judged) == 1:
            v.moved = "changed; no other device ran, so no side can be told" if d in changed else ""
            continue
        v.moved = moved(base[d], now[d], d in changed, bool(changed) and len(changed) == len(judged),
                        with_others(base, d), with_others(now, d), tuple(sorted(changed - {d})))
    for verdict in (FAIL, ERROR):
        hits = [v for v in out.devices.values() if v.verdict == verdict]
        if hits:
            out.verdict = verdict
            out.reason = "; ".join(f"{v.device}: {v.reason}" for v in hits)
            return out
    if len(judged) < 2:         # as `check`: fewer than two devices compared is no verdict (never an agreement)
        out.reason = (f"{len(judged)} device(s) compared with the baseline, at least 2 needed; not compared: "
                      + "; ".join(f"{v.device}: {v.reason}" for v in out.devices.values() if v not in judged)
                      or "no device")
        return out
    out.verdict = AGREE_STAT if any(v.verdict == AGREE_STAT for v in judged) else AGREE
    out.reason = f"{', '.join(v.device for v in judged)} agree with the baseline ({out.baseline})"
    return out
