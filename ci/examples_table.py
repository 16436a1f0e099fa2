"""Run `brian2-harness check` on every example script of the brian2 source distribution; write a Markdown table.

    python ci/examples_table.py --fetch                       # the brian2 2.10.1 sdist (pip download), examples/
                                                              # extracted into the cache
    nohup python ci/examples_table.py --fetch --out ci-examples > ci-examples.log 2>&1 &
  python ci/examples_table.py --fetch --out ci-examples --resume --redo error,fail   # again: those only
    python ci/examples_table.py --fetch --version installed --subset --fail-on-error   # the hist-brian2.* envs

The examples are not part of this repository: they are read from the sdist (``--examples DIR`` for a folder you
extracted yourself). ``--version X`` takes release X's own examples (``installed``: the installed brian2's); the
sdist comes from ``pip download --no-deps --no-binary brian2 brian2==X`` (pip checks the index's hash) unless the
cache already has it or its extracted examples, so a second run is offline. ``--subset`` checks only ``SUBSET``:
short examples that start with ``from brian2 import *``, in the sdists of 2.5.4 and 2.10.1 (a release without one
of them stops with its name; issue 34); ``--fail-on-error`` exits 1 when any example's verdict is `error` (none of
the subset errs on 2.5.4 or 2.10.1: an error there is a regression to explain). Every example runs on numpy,
cython and cpp_standalone (``--devices``) with
``check --mode auto``: exact comparison, and statistical comparison (``--seeds`` per device) when generated code
draws random numbers. Simulated time is capped (``--cap``, default 200 ms per run() call: the sandbox cuts every
run()/Network.run() duration to the cap) and every run of a script has a timeout (``--timeout``); a timed-out run is
an `error` cell. Results are appended to OUT/results.jsonl as they come (``--resume`` skips examples already there);
OUT/examples.md is rewritten after each example. Exit status 0 unless the script itself failed (or, with
``--fail-on-error``, an example ended in error).
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
import tarfile
import threading
import time
import traceback
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

VERSION = "2.10.1"
# Examples that do not fit the default cap and timeout on a 2-core machine (they timed out after 300 s per run on
# 2026-11-27 or 2026-12-02) get their own, stated in their row and in docs/brian2-examples.md: a shorter cap where
# the cost is simulated time, a longer timeout where it is not (no run() call at all).
OVERRIDES = {
    "compartmental/lfp.py": dict(cap="5ms", why="a 1,000-compartment cable at dt = 10 us: numpy simulated 20 ms in "
                                 "246 s on 2 busy cores, and the script runs 153 ms"),
    "compartmental/hh_with_spikes.py": dict(cap="5ms", why="the same 1,000-compartment cable as lfp.py: numpy "
                                            "simulated 27 ms of its 103 ms in 291 s on 2 busy cores"),
    "frompapers/Destexhe_et_al_1998.py": dict(cap="2ms", why="about 90 run() calls of 180 or 320 ms at dt = 10 us "
                                              "(store/restore between them)"),
    "frompapers/Maass_Natschlaeger_Markram_2002.py": dict(cap="1ms", timeout=1800.0, seeds=2, why="1,600 runs of the "
                                                          "network (4 distances x 200 stimulus pairs x 2) in a "
                                                          "multiprocessing pool: 12 min per run of the script on numpy "
                                                          "even at 1 ms per run(), on 2 busy cores; its generated "
                                                          "code draws random numbers, so 2 seeds per device, not 6"),
    "frompapers/Spreizer_et_al_2019/Spreizer_et_al_2019.py": dict(timeout=900.0, why="cpp_standalone timed out "
                                                                  "after 300 s on 2 busy cores; with 900 s it reached "
                                                                  "Brian's refusal (run() after reading results) in "
                                                                  "70 s on a quieter machine"),
    "synapses/efficient_gaussian_connectivity.py": dict(timeout=900.0, why="no run() call: the cost is code "
                                                        "generation for about 1,850 connect() calls, which takes "
                                                        "more than 300 s on cpp_standalone"),
}
# `--subset`: run by every hist-brian2.* env of tox.ini ([history] examples). Each starts with `from brian2 import *`,
# is in the sdists of 2.5.4 and 2.10.1 and took under a minute per check in the 2.10.1 table; two draw random numbers
# in generated code (statistical verdicts), one calls set_device('cpp_standalone') itself. docs/brian2-examples.md
# has their verdicts and wall time on 2.5.4 and 2.10.1.
SUBSET = (
    "IF_curve_LIF.py",
    "IF_curve_Hodgkin_Huxley.py",
    "phase_locking.py",
    "frompapers/Brette_2004.py",
    "frompapers/Morris_Lecar_1981.py",
    "frompapers/Rothman_Manis_2003.py",
    "frompapers/Touboul_Brette_2008.py",
    "frompapers/Wang_Buszaki_1996.py",
    "standalone/simple_case.py",
    "synapses/continuous_interaction.py",
    "synapses/gapjunctions.py",
    "synapses/nonlinear.py",
)
LABELS = {"agree": "agree exactly", "agree_stat": "agree statistically", "skip": "skipped", "fail": "fail",
          "error": "error"}


def installed_version() -> str:
    from importlib.metadata import version
    return version("brian2")


def _sdist(cache: Path, version: str) -> Path | None:
    """The release's source archive in the cache (PyPI spells it Brian2-2.5.4.tar.gz or brian2-2.10.1.tar.gz)."""
    return next((p for p in sorted(cache.glob("*.tar.gz")) if p.name.lower() == f"brian2-{version}.tar.gz"), None)


def fetch(cache: Path, version: str = VERSION) -> Path:
    """The examples/ folder of brian2 `version`'s sdist, extracted into cache/brian2-VERSION/ once. The archive comes
    from `pip download` (the index's hash checked by pip; PyPI on CI, pip's own cache offline) unless it is in the
    cache already."""
    target = cache / f"brian2-{version}" / "examples"
    if target.is_dir():
        return target
    cache.mkdir(parents=True, exist_ok=True)
    archive = _sdist(cache, version)
    if archive is None:
        cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary", "brian2", "--quiet",
               "-d", str(cache), f"brian2=={version}"]
        print(f"fetching the brian2 {version} sdist: {' '.join(cmd)}", flush=True)
        done = subprocess.run(cmd, capture_output=True, text=True)
        archive = _sdist(cache, version)
        if done.returncode or archive is None:
            raise SystemExit(f"pip download of brian2=={version} failed (exit {done.returncode}): "
                             f"{done.stderr.strip()[-600:]}")
    digest = hashlib.sha256(archive.read_bytes()).hexdigest()
    partial = cache / f".brian2-{version}.partial"
    with tarfile.open(archive) as tar:
        members = []
        for m in tar.getmembers():
            top, _, rest = m.name.partition("/")
            if m.isfile() and rest.startswith("examples/"):
                m.name = rest
                members.append(m)
        if not members:
            raise SystemExit(f"{archive.name} has no examples/ folder")
        tar.extractall(partial, members=members, filter="data")
    (partial / "SDIST").write_text(f"{archive.name} sha256 {digest}\n")
    os.replace(partial, target.parent)        # whole or not at all: a stopped extraction is not a cache hit
    return target


def examples(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*.py"))


def group_of(rel: str) -> str:
    return rel.split("/")[0] if "/" in rel else "(top level)"


def short(text: str, n: int = 150) -> str:
    text = " ".join(str(text).split()).replace("|", "\\|")
    return text if len(text) <= n else text[: n - 1] + "…"


def cell(dev: dict | None) -> str:
    if not dev:
        return "–"
    v = dev["verdict"]
    return {"reference": "ref", "agree": "=", "agree_stat": "≈", "skip": "skip", "fail": "FAIL",
            "error": "ERROR"}.get(v, v)


def overridden(own: dict, cap: str, timeout: float) -> str:
    """The note of an example that runs with its own cap or timeout."""
    what = [f"run() capped at {own['cap']} (not {cap})"] if "cap" in own else []
    what += [f"{own['seeds']} seeds per device"] if "seeds" in own else []
    what += [f"{own['timeout']:.0f} s per run (not {timeout:.0f})"] if "timeout" in own else []
    return f"{', '.join(what)}: {own['why']}"


def markdown(rows: list[dict], devices: list[str], settings: str) -> str:
    counts = Counter(r["verdict"] for r in rows)
    stochastic = [r for r in rows if r.get("random_sources")]
    ran = [r for r in stochastic if r["verdict"] in ("agree", "agree_stat", "fail")]
    judged = [r for r in ran if r.get("mode") in ("stat", "mixed")]
    exact_pairs = sum(p.get("mode") != "stat" for r in ran for p in (r.get("pairs") or {}).values())
    lines = [f"{len(rows)} examples ({settings}): "
             + ", ".join(f"{counts.get(k, 0)} {LABELS[k]}" for k in LABELS)
             + f"; verdict other than error: {len(rows) - counts.get('error', 0)} of {len(rows)}. "
             f"Generated code draws random numbers in {len(stochastic)}; of the {len(ran)} of these compared on two "
             f"or more devices, {len(judged)} were judged statistically (at least one device pair), and "
             f"{exact_pairs} device pair(s) of these exactly (same random stream).", "",
             "Cells: `ref` reference (numpy), `=` agrees exactly, `≈` agrees statistically, `skip` (Brian refuses "
             "the script there / not runnable here), `FAIL`, `ERROR`.", ""]
    by_group: dict = {}
    for r in rows:
        by_group.setdefault(group_of(r["example"]), []).append(r)
    for group in sorted(by_group):
        rs = by_group[group]
        c = Counter(r["verdict"] for r in rs)
        lines.append(f"**{group}** ({len(rs)}: " + ", ".join(f"{c[k]} {LABELS[k]}" for k in LABELS if c.get(k)) + ")")
        lines.append("")
        lines.append("| example | verdict | " + " | ".join(devices) + " | s | reason / note |")
        lines.append("|---|---|" + "---|" * len(devices) + "---|---|")
        for r in rs:
            devs = r.get("devices", {})
            reason = r.get("reason", "")
            if r["verdict"] in ("agree", "agree_stat"):
                skips = [f"{d}: {v['reason']}" for d, v in devs.items() if v["verdict"] == "skip"]
                reason = "; ".join(skips) or (r.get("stat") or {}).get("summary") or reason
            if r.get("setting"):
                reason = f"[{r['setting'].split(':')[0]}] {reason}"
            lines.append(f"| {r['example']} | {LABELS.get(r['verdict'], r['verdict'])} | "
                         + " | ".join(cell(devs.get(d)) for d in devices)
                         + f" | {r.get('seconds', 0):.0f} | {short(reason)} |")
        lines.append("")
    return "\n".join(lines)


def kept(done: dict, redo: list[str], only: list[str]) -> dict:
    """The recorded rows a `--resume` keeps: all but those it runs again, i.e. whose verdict (or path) `--redo`
    names and whose path `--only` selects (a row `--only` leaves out is kept whatever its verdict)."""
    def again(key: str, row: dict) -> bool:
        return (row["verdict"] in redo or any(x in key for x in redo)) and (not only or any(x in key for x in only))
    return {k: row for k, row in done.items() if not again(k, row)}


def record(result, root: str, devices: list, seeds: int, cap, all_paths: list, folder: Path) -> str:
    """The example's baseline under `root`, with the options it was checked with (`check --record DIR
    --record-errors`): the folder it went to. Recorded from the examples folder, so that an example is named by
    its path in the sdist (`sub/x.py`), the same in every release's table (two files named x.py get keys hashed
    from that path)."""
    from brian2_harness.check import script_baseline
    from brian2_harness.check.session import Session
    options = Session(devices=list(devices), seeds=seeds, cap=cap).options()
    root = os.path.abspath(root)
    here = os.getcwd()
    os.chdir(folder)
    try:
        folders = script_baseline.record(result, root, options, all_paths, errors=True)
    finally:
        os.chdir(here)
    return str(folders[0].parent) if folders else ""


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--examples", help="folder with the example scripts (default: fetched into the cache)")
    p.add_argument("--fetch", action="store_true", help="download the brian2 sdist (pip download) if needed")
    p.add_argument("--version", default=VERSION, help=f"whose examples: a brian2 release (default {VERSION}) or "
                   "'installed' (the installed brian2's own)")
    p.add_argument("--subset", action="store_true", help="only the examples of SUBSET (the hist-brian2.* envs' run)")
    p.add_argument("--fail-on-error", action="store_true", help="exit 1 when any example's verdict is error")
    p.add_argument("--cache", default=os.path.expanduser("~/.cache/brian2-harness/sdist"))
    p.add_argument("--out", default="ci-examples", help="output folder (results.jsonl, examples.md)")
    p.add_argument("--devices", default="numpy,cython,cpp_standalone")
    p.add_argument("--cap", default="200ms", help="duration cap per run() call")
    p.add_argument("--timeout", type=float, default=300.0, help="seconds per run of a script on a device")
    p.add_argument("--seeds", type=int, default=6, help="seeds per device in statistical mode")
    p.add_argument("--jobs", type=int, default=2, help="device processes at a time")
    p.add_argument("--scheduler", help="run on a Dask cluster: a scheduler address or local[:N] (docs/cluster.md)")
    p.add_argument("--parallel", type=int, default=0, help="with --scheduler: examples checked at a time "
                   "(default: twice the workers)")
    p.add_argument("--only", default="", help="substring filter on the example path (comma-separated: any of them)")
    p.add_argument("--skip", default="", help="substring filter of examples left out (comma-separated: any of them)")
    p.add_argument("--resume", action="store_true", help="skip examples already in results.jsonl")
    p.add_argument("--redo", default="", help="with --resume: run again the examples whose recorded verdict is one "
                   "of these (comma-separated, e.g. error,fail) or whose path contains one of them")
    p.add_argument("--record", help="also store each example's results as `check --record DIR --record-errors` does "
                   "(one baseline per example, with its own cap and seeds): `brian2-harness history DIR_A DIR_B` then "
                   "compares two releases' tables example by example")
    args = p.parse_args(argv)

    from brian2_harness.check.duration import parse_duration
    from brian2_harness.check.verdict import check
    version = installed_version() if args.version == "installed" else args.version
    folder = Path(args.examples) if args.examples else fetch(Path(args.cache), version) if args.fetch else None
    if folder is None or not folder.is_dir():
        raise SystemExit("no examples folder: pass --examples DIR or --fetch")
    folder = folder.resolve()
    devices = [d for d in args.devices.split(",") if d]
    cap = parse_duration(args.cap)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    results = out / "results.jsonl"
    done = {}
    redo = [x for x in args.redo.split(",") if x]
    only = [x for x in args.only.split(",") if x]
    if args.resume and results.exists():
        for line in results.read_text().splitlines():
            row = json.loads(line)
            done[row["example"]] = row
        done = kept(done, redo, only)
        results.write_text("".join(json.dumps(done[k], default=str) + "\n" for k in sorted(done)))
    elif results.exists():
        results.unlink()        # a new table (--resume continues one)
    settings = (f"brian2 {version} examples{' (the SUBSET)' if args.subset else ''}, brian2 {installed_version()} "
                f"running them, devices {', '.join(devices)}, run() capped at {args.cap}, "
                f"{args.timeout:.0f} s per run, {args.seeds} seeds per device in statistical mode; "
                f"{len(OVERRIDES if not args.subset else set(OVERRIDES) & set(SUBSET))} examples with their own cap "
                f"or timeout, marked [...] in their row")
    t_all = time.time()
    all_paths = [str(p) for p in examples(folder)]       # record keys: examples sharing a file name get hashed keys
    skip = [x for x in args.skip.split(",") if x]
    todo = [p for p in examples(folder) if (not only or any(x in str(p.relative_to(folder)) for x in only))
            and not any(x in str(p.relative_to(folder)) for x in skip) and str(p.relative_to(folder)) not in done]
    if args.subset:
        missing = [x for x in SUBSET if not (folder / x).is_file()]
        if missing:
            raise SystemExit(f"--subset: not in {folder}: {', '.join(missing)}")
        todo = [p for p in todo if str(p.relative_to(folder)) in SUBSET]
    lock = threading.Lock()

    def one(path, runner=None):
        rel = str(path.relative_to(folder))
        t0 = time.time()
        print(f"[{time.strftime('%H:%M:%S')}] {rel}", flush=True)
        own = OVERRIDES.get(rel, {})
        cap_here, timeout_here = parse_duration(own["cap"]) if "cap" in own else cap, own.get("timeout", args.timeout)
        try:
            r = check(str(path), devices, seeds=own.get("seeds", args.seeds), cap=cap_here, timeout=timeout_here,
                      jobs=args.jobs, **({"runner": runner} if runner else {}))
            row = r.to_dict()
            if args.record:
                with lock:
                    row["record"] = record(r, args.record, devices, own.get("seeds", args.seeds), cap_here,
                                           all_paths, folder)
        except Exception as exc:     # the harness must not crash: a problem is a cell verdict
            row = dict(verdict="error", reason=f"harness exception: {type(exc).__name__}: {exc}", devices={},
                       traceback=traceback.format_exc())
        row["example"] = rel
        row["seconds"] = time.time() - t0
        if own:
            row["setting"] = overridden(own, args.cap, args.timeout)
        for d in row.get("devices", {}).values():
            d.pop("timers", None)
        if row.get("stat"):
            row["stat"].pop("tests", None)
        print(f"    -> {rel}: {row['verdict']}: {short(row.get('reason', ''), 300)} ({row['seconds']:.0f} s)",
              flush=True)
        with lock:
            with open(results, "a") as f:
                f.write(json.dumps(row, default=str) + "\n")
            done[rel] = row
            rows = [done[k] for k in sorted(done)]
            (out / "examples.md").write_text(markdown(rows, devices, settings) + "\n")

    if args.scheduler:      # every example's device runs as Dask tasks, several examples at a time
        from concurrent.futures import ThreadPoolExecutor

        from brian2_harness.check.cluster import DaskRunner
        from brian2_harness.run.cluster import connect, workers_like_here
        with connect(args.scheduler) as client:
            runner = DaskRunner(client, workers_like_here(client))
            parallel = args.parallel or 2 * len(runner.workers)
            with ThreadPoolExecutor(max_workers=parallel) as pool:
                list(pool.map(lambda p: one(p, runner), todo))
    else:
        for path in todo:
            one(path)
    print(f"done in {(time.time() - t_all) / 60:.1f} min; table: {out / 'examples.md'}", flush=True)
    errors = sorted(k for k, row in done.items() if row["verdict"] == "error")
    if args.fail_on_error and errors:
        print(f"--fail-on-error: {len(errors)} example(s) ended in error: {', '.join(errors)}", flush=True)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
