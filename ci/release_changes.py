"""Brian2's own examples on every release: a verdict table (examples x releases) and what changed between
consecutive releases.

Every release in the list checks its own copies of the examples (its sdist's examples/, `--examples-version own`;
or one release's copies for all: `--examples-version 2.5.4`) with `check --record`, each in its own environment;
`brian2-harness history` then compares every release's records with the previous release's, device by device,
exactly like `check --against` (identical, within tolerance, changed with the first difference, newly erroring,
...). Writes OUT/verdicts.md (examples x releases), OUT/changes.md and OUT/changes.json, the check documents in
OUT/checks/, the records in OUT/records/, each release's log in OUT/logs/.

    tox -m history                       # creates .tox/hist-brian2.X (or pass --python X=PATH for each release)
    python ci/release_changes.py --out ci-release-changes
    python ci/release_changes.py --out ci-release-changes --python 2.5.4=/venvs/b2.5.4/bin/python ...

Environments: `--python VERSION=PATH` (repeatable) or, by default, the tox hist envs that exist
(.tox/hist-brian2.X/bin/python for every X of RELEASES). A release without an environment is named and left out
(the table says so); `--require-all` makes that an error.
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "ci"))

import examples_table  # noqa: E402

RELEASES = ("2.5.4", "2.6.0", "2.7.1", "2.8.0.4", "2.9.0", "2.10.0", "2.10.1", "2.11.0")


def environments(pairs: list[str]) -> dict[str, str]:
    """VERSION -> python: the --python pairs, else the tox hist envs present."""
    if pairs:
        out = {}
        for pair in pairs:
            version, sep, path = pair.partition("=")
            if not sep or not Path(path).is_file():
                raise SystemExit(f"--python: expected VERSION=PATH to an interpreter, got '{pair}'")
            out[version] = path
        return out
    found = {v: ROOT / ".tox" / f"hist-brian2.{v}" / "bin" / "python" for v in RELEASES}
    return {v: str(p) for v, p in found.items() if p.is_file()}


def installed(python: str) -> str:
    return subprocess.run([python, "-c", "import brian2; print(brian2.__version__)"], capture_output=True,
                          text=True, check=True).stdout.strip()


def record(python: str, scripts: list[Path], out: Path, version: str, args) -> tuple[int, float]:
    """One release: check every example with --record into OUT/records/brian2-VERSION."""
    rec, doc = out / "records" / f"brian2-{version}", out / "checks" / f"brian2-{version}.json"
    doc.parent.mkdir(parents=True, exist_ok=True)
    cmd = [python, "-m", "brian2_harness", "check", *map(str, scripts), "--devices", args.devices,
           "--duration-cap", args.cap, "--seeds", str(args.seeds), "--timeout", str(args.timeout),
           "--record", str(rec), "--record-errors", "--json", str(doc), "--quiet"]
    t0 = time.time()
    proc = subprocess.run(cmd, capture_output=True, text=True)
    (out / "logs").mkdir(exist_ok=True)
    (out / "logs" / f"brian2-{version}.log").write_text(proc.stdout + proc.stderr)
    return proc.returncode, time.time() - t0


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out", default="ci-release-changes")
    p.add_argument("--examples-version", default="own", help="whose copies of the examples a release runs: 'own' "
                   "(its own sdist's) or one release for all")
    p.add_argument("--examples", help="folder with the example scripts (default: that release's sdist, fetched)")
    p.add_argument("--cache", default=str(Path.home() / ".cache" / "brian2-harness" / "sdist"))
    p.add_argument("--all", action="store_true", help="every example of the sdist (default: examples_table.SUBSET)")
    p.add_argument("--devices", default="numpy,cython,cpp_standalone")
    p.add_argument("--cap", default="100ms", help="duration cap per run() call")
    p.add_argument("--seeds", type=int, default=6, help="seeds per device in statistical mode")
    p.add_argument("--timeout", type=float, default=300.0, help="seconds per run of a script on a device")
    p.add_argument("--python", action="append", default=[], help="VERSION=PATH of an interpreter with that brian2 "
                   "and brian2-harness installed (repeatable; default: the tox hist envs)")
    p.add_argument("--require-all", action="store_true", help="fail when a release of RELEASES has no environment")
    p.add_argument("--compare-only", action="store_true", help="only compare the records already in OUT/records")
    args = p.parse_args(argv)

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    envs = environments(args.python)
    absent = [v for v in RELEASES if v not in envs]
    if absent and args.require_all:
        raise SystemExit(f"no environment for brian2 {', '.join(absent)} (tox -m history, or --python X=PATH)")
    timing = {}
    if not args.compare_only:
        for version, python in sorted(envs.items(), key=lambda kv: examples_table_version(kv[0])):
            got = installed(python)
            if got != version:
                raise SystemExit(f"--python {version}={python}: that interpreter has brian2 {got}")
            scripts = example_files(args, version)
            print(f"[{time.strftime('%H:%M:%S')}] brian2 {version}: {len(scripts)} examples", flush=True)
            rc, secs = record(python, scripts, out, version, args)
            timing[version] = dict(exit=rc, seconds=round(secs, 1))
            print(f"    exit {rc} after {secs:.0f} s", flush=True)
    folders = sorted((out / "records").glob("brian2-*"), key=lambda d: examples_table_version(d.name[7:]))
    cmd = [sys.executable, "-m", "brian2_harness", "history", *map(str, folders), "--markdown",
           str(out / "changes.md"), "--json", str(out / "changes.json")]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    print(proc.stdout[-4000:] + proc.stderr[-2000:])
    absent = [v for v in RELEASES if not (out / "records" / f"brian2-{v}").is_dir()]     # after every invocation
    run = out / "run.json"
    before = json.loads(run.read_text()) if run.exists() else {}
    timing = {**before.get("timing", {}), **timing}
    run.write_text(json.dumps(dict(
        examples_version=args.examples_version, devices=args.devices, cap=args.cap, seeds=args.seeds,
        releases_not_recorded=absent, timing=timing, date=time.strftime("%Y-%m-%d")), indent=1) + "\n")
    (out / "verdicts.md").write_text(verdict_table(out, timing))
    return proc.returncode if proc.returncode in (0, 1) else 2


def example_files(args, version: str) -> list[Path]:
    """The release's own copies (or --examples-version's, or --examples DIR): SUBSET, or all with --all."""
    own = version if args.examples_version == "own" else args.examples_version
    folder = Path(args.examples) if args.examples else examples_table.fetch(Path(args.cache), own)
    if args.all:
        return list(examples_table.examples(folder))
    missing = [n for n in examples_table.SUBSET if not (folder / n).is_file()]
    if missing:
        raise SystemExit(f"brian2 {own} examples lack {', '.join(missing)}")
    return [folder / n for n in examples_table.SUBSET]


SYMBOL = {"agree": "=", "agree_stat": "≈", "fail": "FAIL", "error": "ERROR", "skip": "skip"}


def verdict_table(out: Path, timing: dict) -> str:
    """Examples x releases from OUT/checks/*.json: check's verdict per example, per device where they differ."""
    docs = {}
    for path in (out / "checks").glob("brian2-*.json"):
        docs[path.stem[7:]] = {Path(s["script"]).name: s for s in json.loads(path.read_text())["scripts"]}
    versions = sorted(docs, key=examples_table_version)
    names = sorted({n for d in docs.values() for n in d})
    lines = ["| example | " + " | ".join(versions) + " |", "|---|" + "---|" * len(versions)]
    for name in names:
        row = [SYMBOL.get(docs[v][name]["verdict"], docs[v][name]["verdict"]) if name in docs[v] else "–"
               for v in versions]
        lines.append(f"| {name} | " + " | ".join(row) + " |")
    counts = []
    for v in versions:
        got = [s["verdict"] for s in docs[v].values()]
        counts.append(", ".join(f"{got.count(k)} {k}" for k in SYMBOL if got.count(k)))
    lines.append("| **verdicts** | " + " | ".join(counts) + " |")
    lines.append("| **wall time** | " + " | ".join(f"{timing[v]['seconds'] / 60:.1f} min" if v in timing else "?"
                                                  for v in versions) + " |")
    return "\n".join(lines) + "\n"


def examples_table_version(v: str) -> tuple:
    return tuple(int(x) if x.isdigit() else 0 for x in v.split("."))


if __name__ == "__main__":
    sys.exit(main())
