"""The statistical mode's line of `brian2-harness bench`: seeds per standalone build, seconds per verdict.

One verdict = `check --mode stat` of a stochastic script (default: models/scripts/normalization_poisson.py) with
K seeds on numpy (reference) and a standalone device, from an empty build cache (cold) and again (warm).
Seeds per build = K / number of compilations of the standalone project (the binary reseeds its generators from
an environment variable, so one build serves every seed; a script that calls seed() itself recompiles main.cpp).
"""
from __future__ import annotations

import tempfile
import time
from pathlib import Path

from brian2_harness.devices import REFERENCE_DEVICE, STANDALONE_DEVICE

from .verdict import check


def default_script() -> Path:
    """models/scripts/normalization_poisson.py (package data of brian2_harness.models, also in a wheel)."""
    from importlib.resources import files
    return Path(str(files("brian2_harness.models") / "scripts" / "normalization_poisson.py"))


def _compiles(run) -> int:
    return sum(int(r.meta.get("timers", {}).get("compiled", 0)) for r in run.runs)


def stat_mode(script: str | None = None, device: str = STANDALONE_DEVICE, seeds: int = 8, log=print) -> dict:
    script = str(script or default_script())
    out = {"script": script, "device": device, "seeds": seeds}
    with tempfile.TemporaryDirectory(prefix="b2h-statbench-") as tmp:
        for label in ("cold", "warm"):
            t0 = time.perf_counter()
            r = check(script, [REFERENCE_DEVICE, device], mode="stat", seeds=seeds, cache_dir=Path(tmp), jobs=2)
            seconds = time.perf_counter() - t0
            run, ref = r.runs.get(device), r.runs[REFERENCE_DEVICE]
            compiles = _compiles(run) if run else 0
            out[label] = {"seconds_per_verdict": seconds, "verdict": r.verdict, "compiles": compiles,
                          "seeds_per_build": seeds / max(compiles, 1),
                          "device_seconds_per_seed": (run.seconds / max(len(run.runs), 1)) if run else None,
                          "numpy_seconds_per_seed": ref.seconds / max(len(ref.runs), 1)}
            log(f"  statistical mode, {label}: {seconds:.1f} s per verdict ({r.verdict}), {compiles} compile(s) "
                f"for {seeds} seeds on {device}")
    return out


def stat_line(r: dict) -> str:
    c, w = r["cold"], r["warm"]
    return (f"statistical mode ({Path(r['script']).name}, {r['seeds']} seeds on numpy and {r['device']}): "
            f"{c['seeds_per_build']:.0f} seeds per build (cold: {c['compiles']} compile(s)); "
            f"{c['seconds_per_verdict']:.1f} s per verdict cold, {w['seconds_per_verdict']:.1f} s warm "
            f"({w['device_seconds_per_seed']:.2f} s per seed on {r['device']}, "
            f"{w['numpy_seconds_per_seed']:.2f} s on numpy); verdict {w['verdict']}")


# --- `check`'s process paths: today's (a fresh interpreter per device call, a build per standalone seed) vs the
# process server with standalone seeds from one build, in one run, on the same scripts, next to a plain run.

README_EXAMPLE = """from brian2 import *

G = NeuronGroup(10, 'dv/dt = (1.2 - v) / (10*ms) : 1', threshold='v > 1', reset='v = 0', method='exact')
G.v = 'i / 10.0'
spikes = SpikeMonitor(G)
trace = StateMonitor(G, 'v', record=[0, 5])
run(50*ms)
"""     # README.md's my_model.py (tests/test_check_bench.py keeps them equal)
REWIRE = ("pre, post = np.nonzero(np.random.RandomState(2024).rand(N_in, N_out) < 0.2)   # fixed wiring, 20 % of "
          "the pairs\nsyn.connect(i=pre, j=post)", "syn.connect(p=0.2)")     # ci/stat_power_bench.py's REWIRE


def path_cases(folder: Path) -> list[tuple[str, Path, list[str]]]:
    """(label, script, check options): the README example (exact), the statistical-power benchmark's small
    stochastic script (default mode: auto, 8 seeds), a cpp_standalone-heavy statistical check."""
    from importlib.resources import files
    scripts = Path(str(files("brian2_harness.models") / "scripts"))
    readme = folder / "my_model.py"
    readme.write_text(README_EXAMPLE)
    lif = (scripts / "lif_poisson_stdp.py").read_text()
    if REWIRE[0] not in lif:
        raise RuntimeError("lif_poisson_stdp.py no longer has the wiring line of ci/stat_power_bench.py")
    stochastic = folder / "lif_poisson_stdp_p02.py"
    stochastic.write_text(lif.replace(*REWIRE))
    heavy = folder / "normalization_poisson.py"
    heavy.write_text((scripts / "normalization_poisson.py").read_text())
    three = ["--devices", "numpy,cython,cpp_standalone"]
    return [("README example, exact", readme, three),
            ("stat-power script, auto 8 seeds", stochastic, three),
            ("normalization_poisson, stat 8 seeds", heavy, ["--devices", "numpy,cpp_standalone", "--mode", "stat"])]


def _timed_command(cmd: list[str], cwd: Path, json_out: Path | None = None, extra_env: dict | None = None
                   ) -> tuple[float, str]:
    import os
    import subprocess
    import sys
    env = dict(os.environ, MPLBACKEND="Agg")
    env.pop("BRIAN2_HARNESS_FRESH_PROCESSES", None)
    env.pop("BRIAN2_HARNESS_WARM_SEEDS", None)
    env.update(extra_env or {})
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, *cmd], cwd=cwd, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - t0
    if json_out is None:
        return seconds, "ok" if proc.returncode == 0 else f"exit {proc.returncode}: {proc.stderr[-300:]}"
    import json
    try:
        return seconds, json.loads(json_out.read_text())["scripts"][0]["verdict"]
    except Exception:      # noqa: BLE001
        return seconds, f"exit {proc.returncode}: {proc.stderr[-300:]}"


PATHS = (("plain", None, {}), ("fresh", ["--fresh-processes"], {}), ("cold", [], {"BRIAN2_HARNESS_WARM_SEEDS": "0"}),
         ("server", [], {}), ("kept", ["--keep-server", "2"], {}))


def check_paths(rounds: int = 2, log=print, cases: list[str] | None = None) -> list[dict]:
    """Per case: a plain `python script.py`, `check --fresh-processes` (today's path), `check` without warm seeds
    (warm.py: the process server and one standalone build, a fresh process per runtime seed), `check` (the new path)
    and `check --keep-server 2` (its server kept from the previous round's call, started by the warm-up), as a user
    runs them (fresh `python -m brian2_harness` each time, warm build cache), interleaved `rounds` times after one
    warm-up of each. `cases`: only the cases whose label contains one of these words."""
    out = []
    with tempfile.TemporaryDirectory(prefix="b2h-pathbench-") as tmp:
        folder, cache = Path(tmp), Path(tmp) / "cache"
        for label, script, options in path_cases(folder):
            if cases and not any(word.lower() in label.lower() for word in cases):
                continue
            row = {"case": label, "verdicts": set(), **{key: [] for key, _, _ in PATHS}}
            for k in range(rounds + 1):
                for key, extra, env in PATHS:
                    json_out = folder / f"{script.stem}-{key}.json"
                    cmd = [str(script)] if extra is None else ["-m", "brian2_harness", "check", str(script), *options,
                                                               "--quiet", "--cache-dir", str(cache), "--json",
                                                               str(json_out), *extra]
                    seconds, verdict = _timed_command(cmd, folder, None if extra is None else json_out, env)
                    log(f"  {label}: {key} {'warm-up ' if k == 0 else ''}{seconds:.1f} s ({verdict})")
                    if k:
                        row[key].append(seconds)
                    if extra is not None:
                        row["verdicts"].add(verdict)
            out.append(row)
    return out


def paths_table(rows: list[dict]) -> str:
    import statistics
    lines = ["| case | plain run | check, today's path (--fresh-processes) | check, server + one build, no warm seeds "
             "| check (server, one build, warm seeds) | check --keep-server | today / new | no warm / new "
             "| new / plain | kept / plain | verdicts |",
             "|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        p, f, c, s, k = (statistics.median(r[key]) for key in ("plain", "fresh", "cold", "server", "kept"))
        lines.append(f"| {r['case']} | {p:.1f} s | {f:.1f} s | {c:.1f} s | {s:.1f} s | {k:.1f} s | {f / s:.2f}x | "
                     f"{c / s:.2f}x | {s / p:.2f}x | {k / p:.2f}x | {', '.join(sorted(r['verdicts']))} |")
    return "\n".join(lines)
