"""Local pool vs Dask LocalCluster on this machine: the CPU matrix (warm build cache) and a few brian2 examples.

    python ci/cluster_bench.py --out /tmp/cb [--examples DIR/examples] [--only CUBA.py,IF_curve_LIF.py]

Matrix: `brian2-harness run` with the tox matrix arguments, once cold (warms the cache, not compared), then warm
with the local pool (--jobs 2, --jobs 1) and with `--scheduler local:2` / `local:1`. Examples: ci/examples_table.py
on the chosen examples (`--subset`: the hist envs' 12; `--only ""`: all, `--skip` some), once to warm the build
folders, then `--rounds` alternating rounds of the local pool (--jobs 2) and `--scheduler local:2 --parallel 1`
(the same concurrency: the ratio is Dask's overhead), then `--scheduler local:2` with several examples in flight.
A whole table: `--only "" --skip Maass --rounds 0` (one pool pass, then the in-flight pass); `--warm-seeds 2` warms
the same builds sooner, `--skip-warm-up` reuses a warm cache under --out.
Prints wall seconds of each and the ratios; per-task overhead = (local:1 - jobs 1) / tasks. Timings on a
shared machine are noisy: run it more than once.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time

MATRIX = ["--cases", "50", "--seed", "1", "--default-case", "--dtype", "float64,float32", "--quiet"]


def timed(cmd: list[str], env=None) -> float:
    print("$", " ".join(cmd), flush=True)
    t0 = time.perf_counter()
    subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, check=False)
    dt = time.perf_counter() - t0
    print(f"  {dt:.1f} s", flush=True)
    return dt


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", required=True)
    p.add_argument("--examples", help="brian2 examples folder (skip the examples part without it)")
    p.add_argument("--only", default="CUBA.py,IF_curve_LIF.py,adaptive_threshold.py,non_reliability.py")
    p.add_argument("--seeds", default="4")
    p.add_argument("--cap", default="200ms", help="examples: the duration cap per run() (the table's: 100ms)")
    p.add_argument("--subset", action="store_true", help="examples: the hist envs' subset of ci/examples_table.py "
                   "(replaces --only)")
    p.add_argument("--skip", default="", help="examples: left out (ci/examples_table.py's --skip; e.g. Maass: 13-19 GB "
                   "and ~25 min alone)")
    p.add_argument("--skip-matrix", action="store_true")
    p.add_argument("--rounds", type=int, default=2, help="alternating pool/Dask rounds of the examples part (0: "
                   "one pool pass, then the in-flight pass only: a whole table in one run)")
    p.add_argument("--skip-warm-up", action="store_true", help="examples: no warm-up pass (the cache under --out is "
                   "warm already, e.g. from an earlier run's warm-up)")
    p.add_argument("--warm-seeds", help="examples: seeds of the warm-up pass (default --seeds); the build folders "
                   "and the Cython cache do not depend on the seed count, so fewer seeds warm the same builds sooner")
    args = p.parse_args()
    os.makedirs(args.out, exist_ok=True)
    cache = os.path.join(os.path.abspath(args.out), "cache")
    env = dict(os.environ, BRIAN2_HARNESS_CACHE=cache)
    run = [sys.executable, "-m", "brian2_harness", "run", *MATRIX, "--cache-dir", cache]
    res = {}
    if not args.skip_matrix:
        res["matrix cold (warm-up)"] = timed(run + ["--jobs", "2"], env)
        for name, extra in (("pool --jobs 2", ["--jobs", "2"]), ("local:2", ["--scheduler", "local:2"]),
                            ("pool --jobs 1", ["--jobs", "1"]), ("local:1", ["--scheduler", "local:1"])):
            js = os.path.join(args.out, f"matrix-{name.replace(' ', '').replace(':', '')}.json")
            res[f"matrix {name}"] = timed(run + extra + ["--json", js], env)
        with open(os.path.join(args.out, "matrix-local2.json")) as f:
            doc = json.load(f)
        res["matrix tasks"] = doc["cluster"]["tasks"]
        res["matrix cells"] = doc["summary"]["cells"]
    if args.examples:
        def table_cmd(seeds: str) -> list[str]:
            cmd = [sys.executable, os.path.join(os.path.dirname(__file__), "examples_table.py"), "--examples",
                   args.examples, "--seeds", seeds, "--cap", args.cap]
            cmd += ["--subset"] if args.subset else ["--only", args.only]
            return cmd + (["--skip", args.skip] if args.skip else [])
        table, warm = table_cmd(args.seeds), table_cmd(args.warm_seeds or args.seeds)
        if not args.skip_warm_up:
            res["examples warm-up (not compared)"] = timed(warm + ["--out", os.path.join(args.out, "ex-warm")], env)
        # Same concurrency first (one example at a time, its device runs two at a time): the ratio of these two is
        # Dask's overhead. Then the cluster's default, several examples in flight: what a user gets from it.
        # Each pair runs `--rounds` times, alternating, so that a load change hits both sides alike.
        for k in range(args.rounds):
            for name, extra in (("pool --jobs 2", ["--jobs", "2"]),
                                ("local:2 --parallel 1", ["--scheduler", "local:2", "--parallel", "1"])):
                key = f"examples {name}"
                folder = os.path.join(args.out, f"ex-{k}-{name.split()[0].replace(':', '')}")
                res.setdefault(key, []).append(timed(table + extra + ["--out", folder], env))
        if not args.rounds:
            res["examples pool --jobs 2"] = [timed(table + ["--jobs", "2", "--out", os.path.join(args.out, "ex-pool")],
                                                   env)]
        res["examples local:2 (examples in flight: 2 x workers)"] = timed(
            table + ["--scheduler", "local:2", "--out", os.path.join(args.out, "ex-inflight")], env)
        pool, dask = res["examples pool --jobs 2"], res.get("examples local:2 --parallel 1", [])
        res["examples overhead ratio per round (local:2 --parallel 1 / pool)"] = [
            round(d / p, 3) for p, d in zip(pool, dask)]
        res["examples speed-up (last pool pass / local:2 in flight)"] = round(
            pool[-1] / res["examples local:2 (examples in flight: 2 x workers)"], 3)
    print(json.dumps(res, indent=1))
    with open(os.path.join(args.out, "bench.json"), "w") as f:
        json.dump(res, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
