"""Findings on disk: OUT/findings/<id>/script.py (the minimal script), check.json (check's document of its last
check), plot.png (its first difference, plot.py) and finding.json (devices, releases, features, signature, triage,
how it was found, the plot or why there is none), deduplicated by signature.

The signature is what makes two disagreements "the same": the devices that disagree with the reference, the
outcome (fail or error), the kind of the failing observables (integer or float state, spikes) and the features the
minimal script uses. Its id is the first 10 hex digits of its SHA-256.
"""
from __future__ import annotations

import hashlib
import json
import os
from dataclasses import asdict, dataclass, field

from . import plot as plots

FORMAT = "brian2-harness-fuzz-finding/1"


def signature(devices: list[str], outcome: str, observable_kinds: list[str], features: list[str]) -> str:
    return (f"{'+'.join(sorted(devices))}|{outcome}|{','.join(sorted(set(observable_kinds))) or '-'}|"
            f"{','.join(sorted(features)) or '-'}")


def finding_id(sig: str) -> str:
    return hashlib.sha256(sig.encode()).hexdigest()[:10]


@dataclass
class Finding:
    id: str
    signature: str
    devices: list                   # devices that disagree with the reference
    reference: str
    outcome: str                    # fail | error
    observables: list               # failing observables of the minimal script
    features: list
    release: str                    # brian2 version it was found with
    script_lines: int
    found_after_s: float            # seconds from the campaign's start
    model: dict                     # gen_seed, position, pack, index: where it came from
    shrink: dict                    # reached, candidates, seconds, original_lines
    detail: str = ""
    triage: dict = field(default_factory=dict)          # class, reason, source (triage.py)
    occurrences: int = 1
    status: str = "reproduces"      # reproduces | flaky (re-checked at the end)
    plot: dict = field(default_factory=dict)            # file, device, observable; or none: why (plot.py)
    format: str = FORMAT

    def to_dict(self) -> dict:
        return asdict(self)


def folder(out: str, fid: str) -> str:
    return os.path.join(out, "findings", fid)


def load_all(out: str) -> list[Finding]:
    root = os.path.join(out, "findings")
    found = []
    for name in sorted(os.listdir(root)) if os.path.isdir(root) else []:
        path = os.path.join(root, name, "finding.json")
        if os.path.isfile(path):
            with open(path) as f:
                data = json.load(f)
            data.pop("format", None)
            found.append(Finding(**data))
    return found


def save(out: str, finding: Finding, script: str | None = None, check_doc: dict | None = None) -> str:
    """Write what is given; a check document also makes (or replaces) the plot. Saved without one (a repeat, a
    re-check, --replay) the finding keeps its plot and its `plot` field."""
    where = folder(out, finding.id)
    os.makedirs(where, exist_ok=True)
    if script is not None:
        with open(os.path.join(where, "script.py"), "w") as f:
            f.write(script)
    if check_doc is not None:
        with open(os.path.join(where, "check.json"), "w") as f:
            json.dump(check_doc, f, indent=1, default=str)
        finding.plot = plots.write(where, finding.devices, finding.reference, check_doc)
    with open(os.path.join(where, "finding.json"), "w") as f:
        json.dump(finding.to_dict(), f, indent=1)
    return where


def script_of(out: str, fid: str) -> str:
    with open(os.path.join(folder(out, fid), "script.py")) as f:
        return f.read()
