"""Measure what a stop does to `brian2-harness check` (numpy + cpp_standalone):

1. warm: the script (no sleep) checked twice; the second run's wall time is the warm time;
2. stop: the script with a 20 s sleep after its run() call, SIGINT to the process group 5 s in (as Ctrl-C sends
   it): seconds from the signal to exit, processes of the run still alive afterwards (found by a marker in their
   environment: the script, make, cc1plus and what they started), the status in the partial JSON;
3. rerun right after the stop, no sleep: its wall time (a run left holding the build-folder lock would make it slower);
4. cold stop: a fresh cache, SIGINT 5 s in, leftovers counted;
5. compile stop: a fresh cache, SIGINT as soon as make or cc1plus runs, leftovers counted.

    python ci/check_interrupt.py [--keep]

Timings on a shared machine are noisy: compare the rerun with the warm run of the same invocation.
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid

SCRIPT = """
import os, time
from brian2 import *
G = NeuronGroup(20, 'dv/dt = (1.1 - v)/(10*ms) : 1', threshold='v > 1', reset='v = 0', method='exact')
M = SpikeMonitor(G)
run(50*ms)
time.sleep(float(os.environ.get("SCRIPT_SLEEP", "0")))
"""


def leftovers(marker: str) -> list[str]:
    found = []
    for name in os.listdir("/proc"):
        if not name.isdigit() or int(name) == os.getpid():
            continue
        try:
            with open(f"/proc/{name}/environ", "rb") as f:
                if marker.encode() not in f.read():
                    continue
            with open(f"/proc/{name}/stat") as f:
                state = f.read().rsplit(")", 1)[1].split()[0]
            with open(f"/proc/{name}/cmdline", "rb") as f:
                cmd = f.read().replace(b"\0", b" ").decode(errors="replace")[:80]
        except OSError:
            continue
        if state != "Z":
            found.append(f"{name} {cmd}")
    return found


def compiling(marker: str) -> bool:
    return any(" make" in f" {p.split(' ', 1)[1]}" or "cc1plus" in p for p in leftovers(marker))


def check(folder: str, cache: str, sleep: float, marker: str, stop_after: float | None = None,
          during_compile: bool = False) -> dict:
    env = dict(os.environ, SCRIPT_SLEEP=str(sleep), B2H_PROBE=marker, BRIAN2_HARNESS_CACHE=cache)
    out = os.path.join(folder, f"out-{time.monotonic_ns()}.json")
    cmd = [sys.executable, "-m", "brian2_harness", "check", os.path.join(folder, "interrupt_model.py"),
           "--devices", "numpy,cpp_standalone", "--quiet", "--json", out]
    t0 = time.monotonic()
    proc = subprocess.Popen(cmd, env=env, start_new_session=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True)
    row: dict = {}
    if stop_after is not None:
        time.sleep(stop_after)
        while during_compile and not compiling(marker) and proc.poll() is None and time.monotonic() - t0 < 120:
            time.sleep(0.05)
        row["compiling_at_signal"] = compiling(marker)
        os.killpg(proc.pid, signal.SIGINT)
        t_sig = time.monotonic()
        text, _ = proc.communicate()
        row["exit_after_signal_s"] = round(time.monotonic() - t_sig, 2)
        time.sleep(0.3)
        row["left"] = leftovers(marker)
    else:
        text, _ = proc.communicate()
    row.update(rc=proc.returncode, wall_s=round(time.monotonic() - t0, 2), tail=text.strip().splitlines()[-1:])
    if os.path.exists(out):
        with open(out) as f:
            row["status"] = [d.get("status") for d in json.load(f)["scripts"]]
    return row


def main() -> int:
    folder = tempfile.mkdtemp(prefix="b2h-interrupt-")
    with open(os.path.join(folder, "interrupt_model.py"), "w") as f:
        f.write(SCRIPT)
    cache = os.path.join(folder, "cache")
    marker = f"b2h-probe-{uuid.uuid4().hex}"
    rows = {"first": check(folder, cache, 0, marker), "warm": check(folder, cache, 0, marker),
            "stop": check(folder, cache, 20, marker, stop_after=5.0), "rerun": check(folder, cache, 0, marker),
            "cold stop": check(folder, os.path.join(folder, "cold"), 20, marker, stop_after=5.0),
            "compile stop": check(folder, os.path.join(folder, "cold2"), 0, marker, stop_after=0.0,
                                  during_compile=True)}
    for name, row in rows.items():
        print(f"{name:>10}: {json.dumps(row)}")
    ok = (rows["stop"]["exit_after_signal_s"] < 5 and rows["stop"].get("status") == ["interrupted"]
          and not any(rows[k]["left"] for k in ("stop", "cold stop", "compile stop")))
    print("OK" if ok else "PROBLEM", f"(rerun {rows['rerun']['wall_s']} s vs warm {rows['warm']['wall_s']} s)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
