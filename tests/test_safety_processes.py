"""`check` leaves nothing running: a stop (SIGINT to the process group, as Ctrl-C sends it) ends every device
process and what the scripts started within seconds and writes the partial JSON with status `interrupted`, naming
the folders it kept; a process a script starts and leaves behind ends with its run; Brian's own temporary logs go
into the run's folder, not $TMPDIR."""
import json
import os
import signal
import subprocess
import sys
import time

import pytest

pytestmark = pytest.mark.brian

SCRIPT = """
from brian2 import *
import os, subprocess, time
G = NeuronGroup(2, 'dv/dt = -v/(10*ms) : 1')
G.v = 1
M = StateMonitor(G, 'v', record=True)
run(2*ms)
child = subprocess.Popen("sleep 300", shell=True)
with open(os.environ["PIDS_FILE"], "a") as f:
    f.write(f"{os.getppid()} {os.getpid()} {child.pid}\\n")
time.sleep(float(os.environ.get("SCRIPT_SLEEP", "0")))
"""


def _alive(pid: int) -> bool:
    """Running, not a zombie (a dead process waiting for PID 1 to reap it)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def _start(tmp_path, sleep: float, *extra):
    script = tmp_path / "slow_model.py"
    script.write_text(SCRIPT)
    tmp = tmp_path / "tmp"
    tmp.mkdir(exist_ok=True)
    env = dict(os.environ, PIDS_FILE=str(tmp_path / "pids"), SCRIPT_SLEEP=str(sleep), TMPDIR=str(tmp))
    cmd = [sys.executable, "-m", "brian2_harness", "check", str(script), "--devices", "numpy,cython", "--quiet",
           "--json", str(tmp_path / "out.json"), *extra]
    return subprocess.Popen(cmd, env=env, start_new_session=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True), tmp


def _pids(tmp_path) -> list[int]:
    path = tmp_path / "pids"
    return [int(x) for line in path.read_text().splitlines() for x in line.split()] if path.exists() else []


@pytest.mark.skipif(not os.path.isdir("/proc"), reason="reads /proc")
def test_sigint_ends_every_process_and_writes_the_partial_json(tmp_path):
    proc, _ = _start(tmp_path, 60)
    deadline = time.monotonic() + 240
    while len(_pids(tmp_path)) < 6 and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.2)
    pids = _pids(tmp_path)
    assert len(pids) == 6 and all(_alive(p) for p in pids), proc.communicate(timeout=60)
    os.killpg(proc.pid, signal.SIGINT)
    t0 = time.monotonic()
    _, err = proc.communicate(timeout=30)
    assert time.monotonic() - t0 < 5, err
    time.sleep(0.2)
    assert [p for p in pids if _alive(p)] == []          # runner, script run, `sleep 300` of both devices
    assert proc.returncode == 1 and "interrupted" in err
    doc = json.loads((tmp_path / "out.json").read_text())
    assert doc["status"] == "interrupted" and [d["status"] for d in doc["scripts"]] == ["interrupted"]
    kept = doc["scripts"][0]["kept"]
    assert len(kept) == 2 and all(os.path.isdir(k) and k in err for k in kept)


@pytest.mark.skipif(not os.path.isdir("/proc"), reason="reads /proc")
def test_leftover_processes_end_with_the_run_and_brian_logs_leave_tmpdir_alone(tmp_path):
    proc, tmp = _start(tmp_path, 0)
    out, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, out + err
    time.sleep(0.2)
    pids = _pids(tmp_path)
    assert len(pids) == 6 and [p for p in pids if _alive(p)] == []
    assert json.loads((tmp_path / "out.json").read_text())["scripts"][0]["status"] == "complete"
    assert sorted(os.listdir(tmp)) == []                 # no brian_stdout_*.log, brian_debug_*, run folders


def test_the_timeout_message_names_the_option(tmp_path):
    from brian2_harness.check.script import run_device
    script = tmp_path / "hang.py"
    script.write_text("import time\ntime.sleep(60)\n")
    run = run_device(str(script), "numpy", [0], timeout=1.0, cache_dir=tmp_path / "cache")
    assert run.status == "error" and "--timeout" in run.reason, run.reason
