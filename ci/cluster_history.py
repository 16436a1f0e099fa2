"""`history --scheduler` gives the table of the sequential history (shown by hand, not part of the test suite).

Starts a Dask scheduler on 127.0.0.1 and one worker per Python environment given (each a venv with brian2-harness
and dask[distributed] installed, e.g. brian2 2.10.1 on Python 3.12 and brian2 2.9.0 on Python 3.11 with numpy<2,
cython<3), then

  1. sequentially: `brian2-harness record` of a small corpus in each environment, then `history` of those files;
  2. on the cluster: `history --scheduler ADDRESS --corpus ...` (each environment's record on its own worker);

and compares the two Markdown tables (file names and seconds aside). Exit 0 when they are the same.

    python ci/cluster_history.py /work/venv-cluster/bin/python /tmp/venv-b290/bin/python --out /tmp/ch
"""
from __future__ import annotations

import argparse
import json
import os
import re
import signal
import subprocess
import sys
import time


def sh(cmd: list[str], **kw) -> None:
    print("$", " ".join(cmd), flush=True)
    subprocess.run(cmd, check=kw.pop("check", True), **kw)


def normalized(md: str) -> str:
    """The tables without what differs by construction: file names, folders and seconds (a column whose header
    says seconds is blanked)."""
    md = re.sub(r"\S+\.npz", "FILE.npz", md)
    md = re.sub(r"\d+(\.\d+)? ?s\b", "N s", md)
    out, blank = [], None
    for line in md.splitlines():
        cells = line.split("|")
        if line.startswith("|") and any("seconds" in c for c in cells):
            blank = next(k for k, c in enumerate(cells) if "seconds" in c)
        elif not line.startswith("|"):
            blank = None
        elif blank is not None and not set(line) <= set("|-: "):
            cells[blank] = " N "
        out.append("|".join(cells))
    return "\n".join(out)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("pythons", nargs="+", help="python executables of the environments (one worker each)")
    p.add_argument("--out", required=True, help="work folder")
    p.add_argument("--devices", default="numpy,cpp_standalone")
    p.add_argument("--dtype", default="float64")
    p.add_argument("--cases", type=int, default=3)
    p.add_argument("--keep-sequential", action="store_true", help="reuse the sequential part of an earlier run")
    args = p.parse_args()
    out = os.path.abspath(args.out)
    os.makedirs(out, exist_ok=True)
    first = args.pythons[0]
    harness = [first, "-m", "brian2_harness"]
    corpus = os.path.join(out, "corpus.json")
    if not args.keep_sequential:
        sh(harness + ["corpus", "--cases", str(args.cases), "--meta-cases", "1", "--seed", "7", "--out", corpus])
    rec = ["--corpus", corpus, "--devices", args.devices, "--dtype", args.dtype]

    t0 = time.perf_counter()
    seq = []
    for k, py in enumerate(args.pythons):
        seq.append(os.path.join(out, "sequential", f"env{k}.npz"))
        os.makedirs(os.path.dirname(seq[-1]), exist_ok=True)
        if not args.keep_sequential:
            sh([py, "-m", "brian2_harness", "record", *rec, "--quiet", "--out", seq[-1]], check=False)
    sh(harness + ["history", *seq, "--markdown", os.path.join(out, "sequential.md")], check=False,
       stdout=subprocess.DEVNULL)
    t_seq = time.perf_counter() - t0

    sched_file = os.path.join(out, "scheduler.json")
    if os.path.exists(sched_file):
        os.remove(sched_file)
    log = open(os.path.join(out, "dask.log"), "w")
    procs = [subprocess.Popen([first, "-m", "dask", "scheduler", "--host", "127.0.0.1", "--port", "0",
                               "--no-dashboard", "--scheduler-file", sched_file], stdout=log, stderr=log,
                              start_new_session=True)]
    try:
        while not os.path.exists(sched_file):
            time.sleep(0.2)
        for k, py in enumerate(args.pythons):
            procs.append(subprocess.Popen([py, "-m", "dask", "worker", "--scheduler-file", sched_file,
                                           "--host", "127.0.0.1", "--nthreads", "1", "--no-dashboard",
                                           "--name", f"env{k}"], stdout=log, stderr=log, start_new_session=True))
        with open(sched_file) as f:
            address = json.load(f)["address"]
        time.sleep(8)                              # workers register
        t1 = time.perf_counter()
        sh(harness + ["history", "--scheduler", address, *rec, "--out-dir", os.path.join(out, "cluster"),
                      "--markdown", os.path.join(out, "cluster.md")], check=False, stdout=subprocess.DEVNULL)
        t_clu = time.perf_counter() - t1
    finally:
        for proc in reversed(procs):
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait()
    with open(os.path.join(out, "sequential.md")) as f:
        a = f.read()
    with open(os.path.join(out, "cluster.md")) as f:
        b = f.read()
    same = normalized(a) == normalized(b)
    print(f"sequential {t_seq:.0f} s (records + history), cluster {t_clu:.0f} s (history --scheduler); "
          f"tables {'IDENTICAL' if same else 'DIFFERENT'} (file names and seconds aside)")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
