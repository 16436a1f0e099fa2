"""The known-bugs table in one `check` per bug: each reproducer of models/known_bugs/ run on its device under this
environment's Brian2 and, as `DEVICE@X` devices (harness/devices/releases.py), under every affected and every fixed
release at once, each judged against this environment's numpy. An affected release must differ (fail or error), a
fixed one must agree: anything else is a mismatch (exit 1), and so is a release that did not run.

    python ci/known_bugs_releases.py --out kb-releases --python 2.5.4=/venvs/b2.5.4/bin/python ...
    python ci/known_bugs_releases.py --out kb-releases          # tox's .tox/hist-brian2.X envs (tox -m history)

Writes OUT/known-bugs-releases.md (the table) and OUT/<script>.json (each check's document). Run it under brian2
2.10.1 (the "here" rows: this environment's device is expected fixed, or affected where the table says so).
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
KNOWN_BUGS = ROOT / "models" / "known_bugs"
REFERENCE = "numpy"
DIFFERS, AGREES = ("fail", "error"), ("agree",)

# script, device, issue, affected releases, fixed (or unaffected) releases; "here" is this environment's release
# (the device without a release), judged like the others
TABLE = [
    ("floor_division_cpp", "cpp_standalone", "#1495", ["2.5.4"], ["2.6.0"]),
    ("true_literal_cpp", "cpp_standalone", "#1520", ["2.6.0"], ["2.5.4", "2.7.1"]),
    ("refractory_truncated", "cpp_standalone", "#1521", ["2.5.4", "2.6.0"], ["2.7.1"]),
    ("custom_event_pathways", "cpp_standalone", "#1541", ["2.6.0"], ["2.5.4", "2.7.1"]),
    ("run_args_uppercase", "cpp_standalone", "#1533", ["2.6.0"], ["2.7.1"]),
    ("run_args_subgroup_reference", "cpp_standalone", "#1673", ["2.9.0"], ["2.10.0"]),
    ("store_restore_delays", "cython", "#1726", ["2.9.0"], ["2.10.0"]),
    ("run_regularly_clock_names", "cpp_standalone", "#1742", ["2.10.0"], ["2.11.0", "2.9.0"]),
    ("view_lifetime_regression", "cython", "2.10.0 regression", ["2.11.0", "here"], ["2.8.0.4"]),
]
# the reference of a row whose bug this environment's numpy has too (the freed memory is read on numpy as well, so
# numpy here is neither right nor deterministic): an unaffected release's numpy
REFERENCES = {"view_lifetime_regression": "numpy@2.9.0"}
HERE = "here"


def name(device: str, release: str) -> str:
    return device if release == HERE else f"{device}@{release}"


def devices_of(device: str, affected: list[str], fixed: list[str], reference: str = REFERENCE) -> list[str]:
    """The reference, the device here, then the device under every affected and fixed release."""
    out = [reference, device] + [name(device, x) for x in affected + fixed]
    return list(dict.fromkeys(out))


def expectation(release: str, affected: list[str]) -> tuple[str, ...]:
    return DIFFERS if release in affected else AGREES


def judge(doc: dict, device: str, affected: list[str], fixed: list[str]) -> list[dict]:
    """One row per release: the verdict of DEVICE@X in the check document, what was expected, whether it matches
    (a device that did not run never matches)."""
    entries = (doc.get("scripts") or [{}])[0].get("devices") or {}
    rows = []
    for x in affected + fixed + ([] if HERE in affected + fixed else [HERE]):
        entry = entries.get(name(device, x)) or {}
        verdict = entry.get("verdict", "missing")
        want = expectation(x, affected)
        if x == HERE and want == AGREES:
            want = AGREES + ("reference",)    # a standalone-only script (run_args): the device here is the reference
        rows.append(dict(release=x, verdict=verdict, expected="/".join(want), ok=verdict in want,
                         reason=(entry.get("reason") or "")[:160]))
    return rows


def _version() -> str:
    try:
        from importlib.metadata import version
        return "brian2 " + version("brian2")
    except Exception:      # noqa: BLE001
        return "this environment"


def table(results: list[dict]) -> str:
    here = f"{HERE} ({_version()})"
    lines = ["| script | reference | device | issue | release | expected | verdict | |",
             "|---|---|---|---|---|---|---|---|"]
    for r in results:
        for row in r["rows"]:
            release = here if row["release"] == HERE else row["release"]
            lines.append(f"| `{r['script']}.py` | {r.get('reference', REFERENCE)} | {r['device']} | {r['issue']} | "
                         f"{release} | "
                         f"{row['expected']} | {row['verdict']} | {'ok' if row['ok'] else '**MISMATCH**'} |")
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", default="kb-releases")
    p.add_argument("--python", action="append", default=[], metavar="RELEASE=PYTHON",
                   help="interpreter of an environment with that brian2 and this harness (repeatable; default: "
                        "tox's .tox/hist-brian2.RELEASE)")
    p.add_argument("--only", default="", help="comma-separated script names (default: every row)")
    p.add_argument("--timeout", type=float, default=600.0)
    args = p.parse_args(argv)
    only = [s for s in args.only.split(",") if s]
    unknown = [s for s in only if s not in [row[0] for row in TABLE]]
    if unknown:
        raise SystemExit(f"--only: unknown script(s) {', '.join(unknown)} (allowed: "
                         f"{', '.join(row[0] for row in TABLE)})")
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    results, t0 = [], time.perf_counter()
    for script, device, issue, affected, fixed in TABLE:
        if only and script not in only:
            continue
        doc_path = out / f"{script}.json"
        devices = devices_of(device, affected, fixed, REFERENCES.get(script, REFERENCE))
        cmd = [sys.executable, "-m", "brian2_harness", "check", str(KNOWN_BUGS / f"{script}.py"), "--devices",
               ",".join(devices), "--timeout", str(args.timeout), "--quiet",
               "--json", str(doc_path)]
        for pair in args.python:
            cmd += ["--release-python", pair]
        t = time.perf_counter()
        proc = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
        seconds = time.perf_counter() - t
        (out / f"{script}.log").write_text(proc.stdout + proc.stderr)
        if proc.returncode == 2 or not doc_path.is_file():
            raise SystemExit(f"{script}: check did not run (exit {proc.returncode}): "
                             f"{(proc.stderr or proc.stdout).strip()[-400:]}")
        rows = judge(json.loads(doc_path.read_text()), device, affected, fixed)
        results.append(dict(script=script, device=device, issue=issue, rows=rows, seconds=round(seconds, 1),
                            reference=devices[0]))
        print(f"{script} (vs {devices[0]}): " + ", ".join(f"{name(device, r['release'])} {r['verdict']}"
                                        f"{'' if r['ok'] else ' (MISMATCH)'}" for r in rows)
              + f" ({seconds:.0f} s)", flush=True)
    text = table(results) + f"\n{len(results)} checks in {time.perf_counter() - t0:.0f} s.\n"
    (out / "known-bugs-releases.md").write_text(text)
    print(text)
    return int(any(not row["ok"] for r in results for row in r["rows"]))


if __name__ == "__main__":
    sys.exit(main())
