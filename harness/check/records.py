"""What `check --record DIR` stores for one script on one device, and reads back for `--against`.

Layout (one folder per device, so that pytest-xdist workers recording different devices never share a file):

    DIR/<script stem>/<device>/record.json       environment, options, seeds, status, verdict vs the reference
    DIR/<script stem>/<device>/seed-K/           observables.npz + meta.json (collect.save), statistics.json

The environment names Brian2, numpy, Python, Cython and the C++ compiler; the options are those the run used
(mode, seeds, first seed, duration cap, observed names, devices, script arguments), so that `--against` repeats the
run the same way. Nothing here imports Brian.
"""
from __future__ import annotations

import hashlib
import importlib.metadata
import json
import os
import platform
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from . import collect

RECORD_FORMAT = "brian2-harness-script-record/1"
RECORD_FILE = "record.json"
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

    def label(self) -> str:
        env = self.environment
        return f"brian2 {env.get('brian2')} (numpy {env.get('numpy')}, Python {env.get('python')})"


def _version(dist: str) -> str | None:
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return None


def _compiler() -> str | None:
    cxx = os.environ.get("CXX", "g++")
    try:
        out = subprocess.run([cxx, "--version"], capture_output=True, text=True, timeout=10,
                             check=False).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    return out.splitlines()[0] if out else None


def environment() -> dict:
    """The components whose versions can change a script's results."""
    return {"brian2": _version("brian2"), "numpy": _version("numpy"), "python": platform.python_version(),
            "cython": _version("cython"), "compiler": _compiler(), "platform": platform.platform()}


def script_digest(script: str) -> str:
    with open(script, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def device_folder(root, script: str, device: str) -> Path:
    return Path(root) / Path(script).stem / device


def from_check(result, device: str, options: dict, env: dict | None = None) -> DeviceRecord:
    """The record of `device` in a `verdict.CheckResult`."""
    run = result.runs[device]
    v = result.devices.get(device)
    t_end = max((r.meta.get("t_end", 0.0) for r in run.runs), default=0.0)
    runs = [SeedRecord(r.seed, r.observables, r.statistics) for r in run.runs if r.status == "ok"]
    return DeviceRecord(result.script, device, run.status, run.reason, v.verdict if v else run.status,
                        v.reason if v else run.reason, result.reference, result.mode, float(t_end or 0.0),
                        env or environment(), {k: options.get(k) for k in OPTION_KEYS},
                        script_digest(result.script) if os.path.isfile(result.script) else "", runs)


def _json_statistics(statistics: dict) -> dict:
    return {name: [kind, np.asarray(value).tolist() if np.ndim(value) else float(value), unit]
            for name, (kind, value, unit) in statistics.items()}


def _read_statistics(data: dict) -> dict:
    return {name: (kind, np.asarray(value, dtype=float) if isinstance(value, list) else float(value), unit)
            for name, (kind, value, unit) in data.items()}


def save(record: DeviceRecord, root) -> Path:
    """Write `record` under `root` (replacing an earlier record of that script and device)."""
    folder = device_folder(root, record.script, record.device)
    folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{record.device}-", dir=folder.parent))
    head = {k: v for k, v in vars(record).items() if k not in ("runs", "folder")}
    head.update(format=RECORD_FORMAT, script=os.path.basename(record.script),
                seeds=[r.seed for r in record.runs])
    for r in record.runs:
        sub = tmp / f"seed-{r.seed}"
        collect.save(str(sub), r.observables, {"seed": r.seed})
        (sub / "statistics.json").write_text(json.dumps(_json_statistics(r.statistics)))
    (tmp / RECORD_FILE).write_text(json.dumps(head, indent=1, default=str))
    if folder.exists():
        shutil.rmtree(folder)
    os.replace(tmp, folder)
    return folder


def load(folder) -> DeviceRecord:
    folder = Path(folder)
    head = json.loads((folder / RECORD_FILE).read_text())
    if head.get("format") != RECORD_FORMAT:
        raise ValueError(f"{folder / RECORD_FILE}: not a script record (format {head.get('format')!r})")
    runs = []
    for seed in head.pop("seeds"):
        sub = folder / f"seed-{seed}"
        observables, _ = collect.load(str(sub))
        statistics = _read_statistics(json.loads((sub / "statistics.json").read_text()))
        runs.append(SeedRecord(int(seed), observables, statistics))
    head.pop("format")
    return DeviceRecord(**head, runs=runs, folder=str(folder))


def find(root) -> dict:
    """Every record under `root`: (script stem, device) -> folder."""
    out = {}
    for path in sorted(Path(root).glob(f"*/*/{RECORD_FILE}")):
        out[(path.parent.parent.name, path.parent.name)] = path.parent
    return out


def load_script(root, script: str) -> dict:
    """device -> DeviceRecord of one script (empty when nothing was recorded for it)."""
    stem = Path(script).stem
    return {dev: load(folder) for (s, dev), folder in find(root).items() if s == stem}
