"""What `check --record DIR` stores for one script on one device, and reads back for `--against`.

Layout (one folder per device, so that pytest-xdist workers recording different devices never share a file):

    DIR/<key>/<device>/record.json         environment, options, seeds, status, verdict vs the reference
    DIR/<key>/<device>/seed-K/             observables.npz + meta.json (collect.save), statistics.json (+ .npz)

The environment names Brian2, numpy, Python, Cython and the C++ compiler; the options are those the run used
(mode, seeds, first seed, duration cap, observed names, devices, script arguments), so that `--against` repeats the
run the same way. The key is the script's stem, or `<stem>-<8 hex>` for a second script of that stem; a script's
baseline is replaced as a whole, never half (record_store.py); reading one back trusts nothing (record_read.py).
Nothing here imports Brian.
"""
from __future__ import annotations

import hashlib
import json
import os
import platform
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from brian2_harness.devices.releases import versions_of
from brian2_harness.errors import UsageError
from brian2_harness.verdicts import RUN_STATUSES
from brian2_harness.versions import NUMPY, core_versions, tool_version

from . import collect, record_store
from .record_read import expect, read_json, read_npz
from .record_store import RECORD_FILE, STATISTICS_NPZ

RECORD_FORMAT = "brian2-harness-script-record/1"
STATUSES = RUN_STATUSES
# record.json's fields and their types, checked on load (a wrong type is one line, never a traceback later)
HEAD_FIELDS = {"script": str, "device": str, "status": str, "reason": str, "verdict": str, "verdict_reason": str,
               "reference": (str, type(None)), "mode": str, "t_end": (int, float), "environment": dict,
               "options": dict, "script_sha256": str, "source": str, "seeds": list, "collected": int}
REQUIRED = ("script", "device", "status", "reason", "verdict", "verdict_reason", "reference", "mode", "t_end",
            "environment", "options", "seeds")
OPTION_KEYS = ("devices", "mode", "seeds", "seed", "alpha", "cap", "observe", "args", "reference")


@dataclass
class SeedRecord:
    seed: int
    observables: dict              # empty in statistical mode (only the statistics are kept)
    statistics: dict               # stats.run_statistics: name -> (kind, value, unit)


@dataclass
class DeviceRecord:
    script: str
    device: str
    status: str                    # ok | skip | error (the device run)
    reason: str
    verdict: str                   # the device's verdict against the reference in that check
    verdict_reason: str
    reference: str | None
    mode: str                      # exact | stat
    t_end: float
    environment: dict
    options: dict
    script_sha256: str = ""
    runs: list[SeedRecord] = field(default_factory=list)
    folder: str = ""
    source: str = ""               # the script's path relative to the working directory it was recorded from
    collected: int = collect.COLLECTED   # what the harness took as results (collect.COLLECTED; absent: 1)

    def label(self) -> str:
        env = self.environment
        return f"brian2 {env.get('brian2')} (numpy {env.get(NUMPY)}, Python {env.get('python')})"


def environment() -> dict:
    """The components whose versions can change a script's results (versions.py: the one place that reads them)."""
    return {**core_versions(), "compiler": tool_version([os.environ.get("CXX", "g++"), "--version"], timeout=10),
            "platform": platform.platform()}


def script_digest(script: str) -> str:
    with open(script, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def device_folder(root, script: str, device: str) -> Path:
    return Path(root) / (key_for(root, script) or Path(script).stem) / device


def from_check(result, device: str, options: dict, env: dict | None = None) -> DeviceRecord:
    """The record of `device` in a `verdict.CheckResult`."""
    run = result.runs[device]
    v = result.devices.get(device)
    t_end = max((r.meta.get("t_end", 0.0) for r in run.runs), default=0.0)
    runs = [SeedRecord(r.seed, r.observables, r.statistics) for r in run.runs if r.status == "ok"]
    env = dict(env or environment(), **(versions_of(device) or {}))   # numpy@2.9.0: that interpreter's versions
    return DeviceRecord(result.script, device, run.status, run.reason, v.verdict if v else run.status,
                        v.reason if v else run.reason, result.reference, result.mode, float(t_end or 0.0),
                        env, {k: options.get(k) for k in OPTION_KEYS},
                        script_digest(result.script) if os.path.isfile(result.script) else "", runs)


def _json_statistics(statistics: dict) -> tuple[dict, dict]:
    """statistics.json's entries and statistics.npz's arrays. Arrays go to the npz: as JSON lists a large one (a
    script's 1,000 module-level arrays of 675,000 values) costs tens of bytes a value twice over, in memory and on
    disk. One array shared by two statistics (a value's per-element pattern and its distribution) is stored once."""
    entries, arrays, seen = {}, {}, {}
    for name, (kind, value, unit) in statistics.items():
        if np.ndim(value):
            key = seen.get(id(value))
            if key is None:
                key = seen[id(value)] = f"s{len(arrays)}"
                arrays[key] = np.asarray(value, dtype=float)
            entries[name] = [kind, {"npz": key}, unit]
        else:
            entries[name] = [kind, float(value), unit]
    return entries, arrays


def _read_statistics(data, where: str, arrays=lambda: {}) -> dict:
    """`arrays()`: statistics.npz, read only when an entry names one of its arrays. A list value is an array
    stored inline (records written before statistics.npz existed)."""
    out, npz = {}, None
    for name, entry in expect(data, dict, where, "statistics").items():
        if not (isinstance(entry, list) and len(entry) == 3 and isinstance(entry[1], (int, float, list, dict))):
            raise UsageError(f"{where}: statistic '{name}' is {entry!r:.60}, expected [kind, value, unit]")
        kind, value, unit = entry
        if isinstance(value, dict):
            npz = arrays() if npz is None else npz
            if not isinstance(value.get("npz"), str) or value["npz"] not in npz:
                raise UsageError(f"{where}: statistic '{name}' names array {value.get('npz')!r}, which "
                                 f"{STATISTICS_NPZ} beside it does not hold")
            out[name] = (kind, np.asarray(npz[value["npz"]], dtype=float), unit)
            continue
        try:
            out[name] = (kind, np.asarray(value, dtype=float) if isinstance(value, list) else float(value), unit)
        except (TypeError, ValueError):
            raise UsageError(f"{where}: statistic '{name}' has a non-numeric value") from None
    return out


def _write(record: DeviceRecord, folder: Path) -> None:
    head = {k: v for k, v in vars(record).items() if k not in ("runs", "folder")}
    head.update(format=RECORD_FORMAT, script=os.path.basename(record.script),
                source=record.source or record_store.source(record.script), seeds=[r.seed for r in record.runs])
    folder.mkdir(parents=True, exist_ok=True)
    for r in record.runs:
        sub = folder / f"seed-{r.seed}"
        collect.save(str(sub), r.observables, {"seed": r.seed})
        entries, arrays = _json_statistics(r.statistics)
        if arrays:
            np.savez(sub / STATISTICS_NPZ, **arrays)
        (sub / "statistics.json").write_text(json.dumps(entries))
    (folder / RECORD_FILE).write_text(json.dumps(head, indent=1, default=str))


def save_script(recs: list[DeviceRecord], root, key: str) -> Path:
    """Write the devices of one script as its whole baseline `root/<key>` (swapped in: record_store.replace)."""
    def write(stage: Path) -> None:
        for rec in recs:
            _write(rec, stage / rec.device)
    return record_store.replace(root, key, write)


def save(record: DeviceRecord, root, key: str | None = None) -> Path:
    """Write one device's record as `root/<key>/<device>` (the others untouched; the pytest plugin's step)."""
    return record_store.replace(root, key or Path(record.script).stem, lambda stage: _write(record, stage),
                                "--brian2-baseline", record.device)


def _observables(sub: Path) -> dict:
    where = f"baseline file {sub / 'meta.json'}"
    index = expect(read_json(sub / "meta.json"), dict, where, "meta").get("observables", {})
    if not index:
        return {}
    arrays = read_npz(sub / "observables.npz")
    out = {}
    for name, entry in expect(index, dict, where, "observables").items():
        expect(entry, dict, where, f"observables.{name}")
        key, fields = entry.get("key"), entry.get("fields")
        if not isinstance(key, str) or not isinstance(fields, list):
            raise UsageError(f"{where}: observable '{name}' lacks its 'key' (string) or 'fields' (array)")
        missing = [f for f in fields if f"{key}_{f}" not in arrays]
        if missing:
            raise UsageError(f"{where}: observable '{name}' lacks array '{missing[0]}' in observables.npz")
        out[name] = dict({k: v for k, v in entry.items() if k not in ("fields", "key")},
                         arrays={f: arrays[f"{key}_{f}"] for f in fields})
    return out


def _head(folder: Path) -> dict:
    where = f"baseline file {folder / RECORD_FILE}"
    head = read_json(folder / RECORD_FILE)
    if not isinstance(head, dict) or head.get("format") != RECORD_FORMAT:
        got = head.get("format") if isinstance(head, dict) else type(head).__name__
        raise UsageError(f"{where}: not a script record of this brian2-harness (format {got!r}, expected "
                         f"{RECORD_FORMAT!r}; record it again)")
    for name, kind in HEAD_FIELDS.items():
        if name in head:
            expect(head[name], kind, where, name)
        elif name in REQUIRED:
            raise UsageError(f"{where}: '{name}' is missing")
    if head["status"] not in STATUSES:
        raise UsageError(f"{where}: 'status' is {head['status']!r}, expected one of {', '.join(STATUSES)}")
    for seed in head["seeds"]:
        expect(seed, int, where, "seeds[]")
    return {k: head[k] for k in HEAD_FIELDS if k in head}


def load(folder) -> DeviceRecord:
    """A record read back; any problem with its files is one UsageError naming the file (record_read.py)."""
    folder = Path(folder)
    head = _head(folder)
    head.setdefault("collected", 1)
    runs = []
    for seed in head.pop("seeds"):
        sub = folder / f"seed-{seed}"
        statistics = _read_statistics(read_json(sub / "statistics.json"), f"baseline file {sub / 'statistics.json'}",
                                      lambda sub=sub: read_npz(sub / STATISTICS_NPZ))
        runs.append(SeedRecord(int(seed), _observables(sub), statistics))
    return DeviceRecord(**head, runs=runs, folder=str(folder))


def load_head(folder) -> DeviceRecord:
    """A record without its runs (record.json only, checked as `load` checks it): what a list of many large
    records needs (history reads each one's runs only when it compares that one)."""
    head = _head(Path(folder))
    head.pop("seeds")
    head.setdefault("collected", 1)
    return DeviceRecord(**head, folder=str(folder))


def find(root) -> dict:
    """Every record under `root`: (key, device) -> folder (hidden folders: a swap in progress, never read)."""
    out = {}
    for path in sorted(Path(root).glob(f"*/*/{RECORD_FILE}")):
        if not path.parent.parent.name.startswith("."):
            out[(path.parent.parent.name, path.parent.name)] = path.parent
    return out


def _source_of(root, key: str) -> str | None:
    """The script a baseline names (None: none named, or unreadable: loading it says what is wrong)."""
    for (k, _), folder in find(root).items():
        if k == key:
            try:
                head = read_json(folder / RECORD_FILE)
            except UsageError:
                continue
            if isinstance(head, dict) and isinstance(head.get("source"), str):
                return head["source"]
    return None


def key_for(root, script: str) -> str | None:
    """The key of `script`'s baseline under `root` (None: none recorded). Its own (`source`) first; else the only
    baseline of that stem (recorded from another working directory, or by an earlier version); several: an error."""
    keys = [k for k in record_store.keys_of(root, Path(script).stem) if any(x == k for x, _ in find(root))]
    mine = record_store.source(script)
    own = [k for k in keys if _source_of(root, k) == mine]
    if own or len(keys) <= 1:
        return (own or keys or [None])[0]
    raise UsageError(f"--against {root}: {len(keys)} baselines of scripts named {Path(script).name} "
                     f"({', '.join(f'{k}: {_source_of(root, k)}' for k in keys)}), none recorded from {mine}; run "
                     f"from the folder you recorded in")


def record_key(root, script: str, shared: bool) -> str:
    """The key to record `script` under: its stem unless the stem is `shared` by another script of the command or
    `root/<stem>` holds another script's baseline."""
    stem = Path(script).stem
    if shared:
        return record_store.hashed_key(script)
    other = _source_of(root, stem) if (Path(root) / stem).is_dir() else None
    return stem if other in (None, record_store.source(script)) else record_store.hashed_key(script)


def load_script(root, script: str) -> dict:
    """device -> DeviceRecord of one script (empty when nothing was recorded for it)."""
    key = key_for(root, script)
    return {dev: load(folder) for (k, dev), folder in find(root).items() if k == key}
