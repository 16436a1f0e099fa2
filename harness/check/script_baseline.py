"""`check SCRIPT --record DIR` / `check SCRIPT --against DIR`: the glue between a check run and its records.

`--record` stores every device's runs (records.py); `--against` first takes the recorded options (devices, mode,
seeds, first seed, duration cap, observed names, script arguments), so that the rerun repeats the recording, then
compares each device with its own recording (against.py).
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

from ..errors import UsageError
from . import check_options, record_store, records
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
    """The options of the recording of `script` under `root`, validated like the command line's (usage error when
    there is none, or when a record is unreadable or holds a bad option)."""
    found = records.load_script(root, script)
    if not found:
        stems = sorted({s for s, _ in records.find(root)}) if Path(root).is_dir() else []
        raise UsageError(f"--against {root}: no record of {Path(script).stem} there (recorded scripts: "
                         f"{', '.join(stems) or 'none'}); record it first with --record {root}")
    first = next(iter(found.values()))
    options = dict(first.options)
    options["devices"] = options.get("devices") or list(found)
    return check_options.recorded(options, f"baseline {Path(first.folder) / records.RECORD_FILE}")


def check_record_targets(root, scripts: list[str]) -> None:
    """Before the run: every script's baseline folder under `root` can be replaced (no symlink, nothing foreign)."""
    for script in scripts:
        record_store.check_target(root, records.record_key(root, script, _shared(script, scripts)))


def _shared(script: str, scripts: list[str]) -> bool:
    return sum(Path(s).stem == Path(script).stem for s in dict.fromkeys(map(os.path.abspath, scripts))) > 1


def _good_replaced(root, key: str, recs: list) -> list[str]:
    """Devices whose good baseline (it ran) would be replaced by a record of a device that did not run now."""
    old = {dev for (k, dev), _ in records.find(root).items() if k == key}
    out = []
    for rec in recs:
        if rec.device in old and rec.status != "ok":
            try:
                before = records.load(Path(root) / key / rec.device)
            except UsageError:
                continue                      # an unreadable baseline is no good one
            if before.status == "ok":
                out.append(f"{rec.device} ({rec.status}: {rec.reason})")
    return out


def record(result, root, options: dict, scripts=(), errors: bool = False) -> list[Path]:
    """Store every device of `result` (a verdict.CheckResult) as the script's baseline under `root`, replacing the
    previous one as a whole. A device that ran in the previous baseline and not now is refused (UsageError) unless
    `errors` (--record-errors)."""
    env = records.environment()
    key = records.record_key(root, result.script, _shared(result.script, list(scripts) or [result.script]))
    recs = [records.from_check(result, d, options, env) for d in result.runs]
    lost = _good_replaced(root, key, recs)
    if lost and not errors:
        raise RecordRefused(f"--record {root}: not replacing the good baseline of {result.script} with records of "
                            f"devices that did not run now: {'; '.join(lost)}; the previous baseline is kept (pass "
                            f"--record-errors to record them anyway)")
    folder = records.save_script(recs, root, key)
    return [folder / r.device for r in recs]


class RecordRefused(UsageError):
    """--record would replace a good baseline with error records (the check fails with this reason, exit 1)."""


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
    if res.verdict not in (AGREE, AGREE_STAT, FAIL, ERROR):     # no verdict: say why (devices not compared)
        print(f"  reason: {res.reason}", file=out)
    for note in res.notes:
        print(f"  note: {note}", file=out)


def plugin_step(result, device: str, root, options: dict, regen: bool, tolerance=None,
                alpha: float = 0.01) -> str | None:
    """The pytest plugin's baseline step for one item (one device): record it (`regen`, or no record yet) or compare
    it with its record. Returns the message to fail the item with, or None."""
    if device not in result.runs:
        return None
    now = records.from_check(result, device, options)
    key = records.key_for(root, result.script) or records.record_key(root, result.script, False)
    folder = Path(root) / key / device
    if regen or not (folder / records.RECORD_FILE).exists():
        records.save(now, root, key)
        return None if regen else (f"{device}: no baseline in {folder}; recorded it now ({now.label()}): rerun "
                                   f"to compare with it")
    base = records.load(folder)
    res = compare_device(base, now, tolerance, alpha)
    if res.verdict not in (FAIL, ERROR):
        return None
    side = moved(base, now, True, False) if base.status == "ok" and now.status == "ok" else ""
    return (f"{device} against the baseline ({base.label()}; now {now.label()}): {res.verdict}: {res.reason}"
            + (f"; which side moved: {side}" if side else ""))
