"""What changed when, for a user's own scripts: folders written by `check SCRIPTS --record DIR` under several Brian2
versions, each compared with the one before it, offline (no Brian run).

    brian2-harness history upgrade/history/scripts-brian2-2.5.4 upgrade/history/scripts-brian2-2.6.0 ...

Folders are ordered by the Brian2, numpy, Python and Cython versions they were recorded with. Each script x device
is compared with its record in the previous folder exactly like `check --against` (against.py): identical,
within tolerance, changed (with the observable, index and time of the first difference), disagreeing (the device
newly disagrees with the reference of its own run), erroring, no longer available, now runs.
"""
from __future__ import annotations

from itertools import pairwise
from pathlib import Path

from brian2_harness.check import against, records
from brian2_harness.errors import UsageError
from brian2_harness.reports.mdtext import md_cell
from brian2_harness.upgrade.history import COMPONENTS, _version_tuple
from brian2_harness.versions import CORE, CYTHON, NUMPY

SCRIPT_HISTORY_FORMAT = "brian2-harness-script-history/1"
IDENTICAL, WITHIN, CHANGED, DISAGREES, ERRORS, GONE, NOW_RUNS, NEITHER = (
    "identical", "within tolerance", "changed", "newly disagreeing", "newly erroring", "no longer available",
    "now runs", "ran in neither")
STATUSES = (IDENTICAL, WITHIN, CHANGED, DISAGREES, ERRORS, GONE, NOW_RUNS, NEITHER)


def is_script_record_dir(path) -> bool:
    return Path(path).is_dir() and bool(records.find(path))


def load_folders(paths) -> tuple[list[dict], list[str]]:
    """[{path, environment, records: {(script, device): DeviceRecord without its runs}, folders: {(script,
    device): folder}}] ordered by environment; missing paths. Runs are read one script x device at a time
    (history_document): the records of all examples of a release do not fit in memory at once (one of them is 15 GB)."""
    found, missing = [], []
    for p in paths:
        if not Path(p).exists():
            missing.append(str(p))
            continue
        if not is_script_record_dir(p):
            raise UsageError(f"history: '{p}' holds no script records (write them with `check SCRIPT --record {p}`)")
        folders = records.find(p)
        recs = {key: records.load_head(folder) for key, folder in folders.items()}
        env = next(iter(recs.values())).environment
        found.append({"path": str(p), "environment": env, "records": recs, "folders": folders})
    found.sort(key=lambda f: tuple(_version_tuple(f["environment"].get(k)) for k in CORE))
    return found, missing


def classify(base: records.DeviceRecord | None, now: records.DeviceRecord | None) -> tuple[str, str]:
    """(status, detail) of one script x device between two versions."""
    if base is None or now is None:
        return (GONE, "not recorded in the newer version") if now is None else (NOW_RUNS, "not recorded before")
    res = against.compare_device(base, now)
    if res.verdict == against.SKIP:
        return (NOW_RUNS if now.status == "ok" else NEITHER), res.reason
    if res.verdict == against.ERROR:
        return (ERRORS if now.status == "error" else GONE), res.reason
    side = against.moved(base, now, res.verdict == against.FAIL, False)
    if base.verdict in against.WITH_OTHERS and now.verdict == against.FAIL:
        return DISAGREES, f"now {now.verdict} against {now.reference}: {now.verdict_reason}"
    if res.verdict == against.FAIL:
        return CHANGED, res.reason + (f" ({side})" if side else "")
    identical = res.exact is not None and res.exact.identical
    return (IDENTICAL if identical else WITHIN), res.reason


def env_changes(old: dict, new: dict) -> list[str]:
    keys = [k for k in COMPONENTS if k != "gcc"] + ["compiler"]
    return [f"{k} {old.get(k)} -> {new.get(k)}" for k in keys if old.get(k) != new.get(k)]


def _runs(folder: dict, key: tuple) -> records.DeviceRecord | None:
    """The record of `key` with its runs (read now), or None."""
    where = folder.get("folders", {}).get(key)
    return records.load(where) if where is not None else folder["records"].get(key)


def history_document(folders: list[dict], missing: list[str]) -> dict:
    steps = []
    for old, new in pairwise(folders):
        rows = []
        for key in sorted(set(old["records"]) | set(new["records"])):
            status, detail = classify(_runs(old, key), _runs(new, key))
            rows.append({"script": key[0], "device": key[1], "status": status, "detail": detail})
        steps.append({"from": old["path"], "to": new["path"], "from_environment": old["environment"],
                      "environment": new["environment"], "env_changes": env_changes(old["environment"],
                                                                                    new["environment"]),
                      "summary": {s: sum(r["status"] == s for r in rows) for s in STATUSES}, "rows": rows})
    versions = [{"path": f["path"], "environment": f["environment"], "scripts": sorted({s for s, _ in f["records"]}),
                 "verdicts": sorted(f"{s}/{d}: {r.verdict}" for (s, d), r in f["records"].items())}
                for f in folders]
    return {"format": SCRIPT_HISTORY_FORMAT, "versions": versions, "missing": missing, "steps": steps}


def _short(env: dict) -> str:
    return md_cell(f"{env.get('brian2')} (numpy {env.get(NUMPY)})")


def markdown(doc: dict) -> str:
    lines = ["# What changed when (scripts)", "", "| version | environment | scripts | records |", "|---|---|---|---|"]
    for v in doc["versions"]:
        env = v["environment"]
        lines.append(f"| {md_cell(env.get('brian2'))} | Python {md_cell(env.get('python'))}, numpy "
                     f"{md_cell(env.get(NUMPY))}, Cython {md_cell(env.get(CYTHON))} | {len(v['scripts'])} | "
                     f"{md_cell(v['path'])} |")
    for m in doc["missing"]:
        lines.append(f"| (missing) | no folder {md_cell(m)} | - | - |")
    lines += ["", "## Steps", "", "| step | what changed | " + " | ".join(STATUSES) + " |",
              "|---|---|" + "---|" * len(STATUSES)]
    for s in doc["steps"]:
        lines.append(f"| {_short(s['from_environment'])} → {_short(s['environment'])} | "
                     f"{md_cell(', '.join(s['env_changes'])) or 'nothing'} | "
                     + " | ".join(str(s["summary"][k]) for k in STATUSES) + " |")
    for s in doc["steps"]:
        diff = [r for r in s["rows"] if r["status"] not in (IDENTICAL, WITHIN, NEITHER)]
        lines += ["", f"### {_short(s['from_environment'])} → {_short(s['environment'])}", ""]
        if not diff:
            lines.append(f"All {len(s['rows'])} script x device rows identical, within tolerance or run in neither.")
            continue
        lines += ["| script | device | status | detail |", "|---|---|---|---|"]
        for r in diff:
            lines.append(f"| {md_cell(r['script'])} | {md_cell(r['device'])} | {r['status']} | "
                         f"{md_cell(r['detail'][:400])} |")
    lines.append("")
    return "\n".join(lines)
