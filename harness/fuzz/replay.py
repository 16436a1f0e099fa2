"""`fuzz --replay DIR`: re-check every saved finding of a campaign with check (its reference and devices), mark
the ones that no longer reproduce as flaky, re-triage under the installed release, rewrite the report."""
from __future__ import annotations

import json
import os

from ..verdicts import SKIP
from . import differential, findings, report, triage
from . import plot as plots
from .campaign import SUMMARY


def replay(out: str, release: str, *, timeout: float = 300.0, cache_dir=None, say=print, runner=None) -> int:
    """`runner`: run_device's replacement (`--scheduler`). A finding keeps its plot (made from its final check);
    one saved before plots were made gets it from its check.json."""
    found = findings.load_all(out)
    work = os.path.join(out, "work")
    os.makedirs(work, exist_ok=True)
    bugs = 0
    for f in found:
        path = os.path.join(findings.folder(out, f.id), "script.py")
        result = differential.run_check(path, [f.reference] + f.devices, timeout=timeout,
                                        cache_dir=cache_dir or os.path.join(out, "cache"), runner=runner)
        absent = [d for d in [f.reference] + f.devices
                  if result.devices.get(d) is None or result.devices[d].verdict == SKIP]
        if absent:          # a device that did not run says nothing: never "no longer reproduces"
            say(f"{f.id}: not re-checked on brian2 {release}: {', '.join(absent)} did not run "
                f"({'; '.join(result.devices[d].reason[:150] for d in absent if d in result.devices)})")
            continue
        still = any(result.devices.get(d) is not None and result.devices[d].verdict == f.outcome for d in f.devices)
        f.status = "reproduces" if still else "flaky"
        replayed = findings.Finding(**{**f.to_dict(), "release": release})
        replayed.triage = triage.classify(replayed, findings.script_of(out, f.id))
        f.triage = replayed.triage
        _plot_if_missing(out, f)
        findings.save(out, f)
        bugs += still and f.triage["class"] == triage.BUG
        say(f"{f.id}: {'reproduces' if still else 'does not reproduce'} on brian2 {release} "
            f"({result.verdict}: {result.reason[:200]})")
    path = os.path.join(out, SUMMARY)
    if os.path.isfile(path):
        with open(path) as fh:
            summary = json.load(fh)
        summary["findings"] = [f.to_dict() for f in found]
        summary["replayed_with"] = release
        with open(path, "w") as fh:
            json.dump(summary, fh, indent=1, default=str)
        report.write(out, summary)
    return int(bugs > 0)


def _plot_if_missing(out: str, f: findings.Finding) -> None:
    doc = os.path.join(findings.folder(out, f.id), "check.json")
    if not f.plot and os.path.isfile(doc):
        with open(doc) as fh:
            f.plot = plots.write(findings.folder(out, f.id), f.devices, f.reference, json.load(fh))
