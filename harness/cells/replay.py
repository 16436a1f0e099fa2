"""The one place that writes the command replaying a failing cell: what failed is what gets re-checked.

It carries everything the verdict depended on: variant, device, dtype, the oracle schedule a `--against`
imposed, plugin files, and the peer device a cross-device failure was found against (the case file carries
the schedule and every model constant).
"""
from __future__ import annotations

import shlex

from brian2_harness.devices.catalog import REFERENCE_DEVICE  # noqa: F401  (the reference a peer failure names)

CASE_PLACEHOLDER = "CASE.json"


def replay_command(*, variant: str, device: str, dtype: str, case_file: str = CASE_PLACEHOLDER,
                   against: str | None = None, plugins=(), peer: bool = False) -> str:
    devices = [device] + ([REFERENCE_DEVICE] if peer and device != REFERENCE_DEVICE else [])
    parts = ["brian2-harness", "run", "--case-file", case_file, "--variants", variant,
             "--devices", ",".join(devices), "--dtype", dtype]
    if against:
        parts += ["--against", against]
    for p in plugins:
        parts += ["--plugin", p]
    return " ".join(p if p == CASE_PLACEHOLDER else shlex.quote(p) for p in parts)


def replay_for_cell(cell: dict, config: dict, case_file: str | None = None) -> str:
    """From a results document's cell and config (JSON form): the cell's stored command (with `case_file`
    substituted when given), else one built here from the same fields."""
    extra = cell.get("extra") or {}
    stored = extra.get("replay")
    if stored:
        return stored.replace(extra.get("case_file") or CASE_PLACEHOLDER, case_file) if case_file else stored
    reference = cell.get("reference") or ""
    peer = cell["device"] != REFERENCE_DEVICE and reference.startswith(f"device:{REFERENCE_DEVICE}/")
    return replay_command(variant=cell["variant"], device=cell["device"], dtype=cell["dtype"],
                          case_file=case_file or extra.get("case_file") or CASE_PLACEHOLDER,
                          against=config.get("against"), plugins=config.get("plugins") or (), peer=peer)
