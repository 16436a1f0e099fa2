"""`check SCRIPT --record DIR` / `check SCRIPT --against DIR`: the glue between a check run and its records.

`--record` stores every device's runs (records.py); `--against` first takes the recorded options (devices, mode,
seeds, first seed, duration cap, observed names, script arguments), so that the rerun repeats the recording, then
compares each device with its own recording (against.py).
"""
from __future__ import annotations

import sys
from pathlib import Path

from ..errors import UsageError
from . import records
from .against import (
    AGREE,
    AGREE_STAT,
    ERROR,
    FAIL,
    AgainstResult,
    against,
    compare_device,
    moved,
)


def recorded_options(root, script: str) -> dict:
    """The options of the recording of `script` under `root` (usage error when there is none)."""
    found = records.load_script(root, script)
    if not found:
        stems = sorted({s for s, _ in records.find(root)}) if Path(root).is_dir() else []
        raise UsageError(f"--against {root}: no record of {Path(script).stem} there (recorded scripts: "
                         f"{', '.join(stems) or 'none'}); record it first with --record {root}")
    first = next(iter(found.values()))
    options = dict(first.options)
    options["devices"] = options.get("devices") or list(found)
    return options


def record(result, root, options: dict) -> list[Path]:
    """Store every device of `result` (a verdict.CheckResult) under `root`."""
    env = records.environment()
    return [records.save(records.from_check(result, d, options, env), root) for d in result.runs]


def compare(result, root, options: dict, tolerance=None, alpha: float = 0.01) -> AgainstResult:
    """`result`'s devices against their recordings under `root`."""
    env = records.environment()
    base = records.load_script(root, result.script)
    now = {d: records.from_check(result, d, options, env) for d in result.runs}
    return against(result.script, base, now, tolerance, alpha)


def passed(res: AgainstResult) -> bool:
    return res.verdict in (AGREE, AGREE_STAT)


def print_against(res: AgainstResult, out=None) -> None:
    out = out or sys.stdout
    print(f"{res.script} against the baseline: {res.verdict.upper()} (baseline {res.baseline}; now {res.now})",
          file=out)
    for d, v in res.devices.items():
        print(f"  {d:<20} {v.verdict:<12} {v.reason}", file=out)
        if v.moved:
            print(f"  {'':<20} {'':<12} which side moved: {v.moved}", file=out)
    for note in res.notes:
        print(f"  note: {note}", file=out)


def plugin_step(result, device: str, root, options: dict, regen: bool, tolerance=None,
                alpha: float = 0.01) -> str | None:
    """The pytest plugin's baseline step for one item (one device): record it (`regen`, or no record yet) or compare
    it with its record. Returns the message to fail the item with, or None."""
    if device not in result.runs:
        return None
    now = records.from_check(result, device, options)
    folder = records.device_folder(root, result.script, device)
    if regen or not (folder / records.RECORD_FILE).exists():
        records.save(now, root)
        return None if regen else (f"{device}: no baseline in {folder}; recorded it now ({now.label()}): rerun "
                                   f"to compare with it")
    base = records.load(folder)
    res = compare_device(base, now, tolerance, alpha)
    if res.verdict not in (FAIL, ERROR):
        return None
    side = moved(base, now, True, False) if base.status == "ok" and now.status == "ok" else ""
    return (f"{device} against the baseline ({base.label()}; now {now.label()}): {res.verdict}: {res.reason}"
            + (f"; which side moved: {side}" if side else ""))
