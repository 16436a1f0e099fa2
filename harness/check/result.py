"""What `check` finds for one script: a `DeviceVerdict` per device and the script's `CheckResult`.

The verdict words (agree, agree_stat, fail, skip, built, error, reference: harness/verdicts.py) are described in
verdict.py, which
makes these results; document.py turns them into the ``check --json`` document.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from ..verdicts import LABEL
from . import exact, stats


@dataclass
class DeviceVerdict:
    device: str
    verdict: str
    reason: str
    exact: exact.ExactResult | None = None


@dataclass
class CheckResult:
    script: str
    verdict: str
    reason: str
    reference: str | None
    devices: dict                                  # device -> DeviceVerdict
    runs: dict                                     # device -> DeviceRun
    mode: str                                      # exact | stat
    stat: stats.StatResult | None = None
    random_sources: list = field(default_factory=list)
    notes: list = field(default_factory=list)
    seconds: float = 0.0
    pairs: dict = field(default_factory=dict)      # device -> pairs.Pair (how it was judged, and why)
    required_missing: list = field(default_factory=list)   # required devices that did not run (require.py)

    def _device_dict(self, d: str, v: DeviceVerdict) -> dict:
        run = self.runs.get(d)
        return dict(verdict=v.verdict, reason=v.reason, seconds=run.seconds if run else 0.0,
                    seeds=len(run.runs) if run else 0, script=run.runs[0].meta.get("script") if run and run.runs
                    else None, logs=[r.meta.get("log") for r in run.runs] if run else [],
                    written=sorted({f for r in run.runs for f in r.meta.get("written") or []}) if run else [],
                    observables=_observable_units(run),
                    timers=[r.meta.get("timers", {}) for r in run.runs] if run else [])

    def to_dict(self) -> dict:
        return dict(script=self.script, verdict=self.verdict, label=LABEL.get(self.verdict, self.verdict),
                    reason=self.reason, reference=self.reference, mode=self.mode, seconds=self.seconds,
                    random_sources=self.random_sources, notes=self.notes,
                    devices={d: self._device_dict(d, v) for d, v in self.devices.items()},
                    pairs={d: p.to_dict() for d, p in self.pairs.items()},
                    stat=None if self.stat is None else dict(
                        equivalent=self.stat.equivalent, seeds=self.stat.seeds, alpha=self.stat.alpha, m=self.stat.m,
                        summary=self.stat.summary, power=self.stat.power, notes=self.stat.notes,
                        strength=self.stat.strength, too_weak=self.stat.too_weak,
                        seeds_needed=self.stat.seeds_needed, power_per_statistic=self.stat.power_table(),
                        tests=[vars(t) for t in self.stat.tests]))


def _observable_units(run) -> dict:
    """name -> unit of what a device's first run produced (the script's own names where it has them)."""
    if not run or not run.runs:
        return {}
    first = run.runs[0]
    return {n: o.get("unit", "") for n, o in first.observables.items()} or {
        n: "" for n in first.meta.get("available") or []}
