"""`check --scheduler local:2` with Brian2 and a real LocalCluster (issues 34 item 5, 35).

* ball_and_stick.py needs the noise floor (perturbed reference runs): through the cluster it gets the local verdict
  (agree within the floor), where it used to end in "unexpected keyword argument 'perturb'";
* a script that raises: the `log:` path printed for each device exists on this machine after the run and holds the
  script's error (the worker's folder is gone);
* SIGTERM while the device processes run: check ends (status 1, "interrupted"), no device process of it is left
  and $TMPDIR holds nothing of it. How long it takes is measured, not asserted (docs/cluster.md).
Every run uses a $TMPDIR of its own, which must be empty afterwards.
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import time

import pytest

distributed = pytest.importorskip("distributed", reason="needs Dask: pip install 'brian2-harness[cluster]'")

from brian2_harness.cli import main  # noqa: E402

# deep (tox -e deep, run by ci/github/cpu.yml): a LocalCluster per test costs minutes on 2 cores, and what these
# tests add to the CPU suite's own coverage is covered there without Brian: the cluster runner's signature and
# what it sends (test_cluster_safety.py), the local floor verdict (test_check_floor_brian.py), the cluster check
# itself (test_cluster.py::test_check_of_two_scripts_through_the_cluster_is_the_local_check)
pytestmark = [pytest.mark.brian, pytest.mark.deep]
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BALL_AND_STICK = os.path.join(ROOT, "models", "scripts", "ball_and_stick.py")


@pytest.fixture
def own_tmpdir(tmp_path, monkeypatch):
    folder = tmp_path / "TMPDIR"
    folder.mkdir()
    monkeypatch.setenv("TMPDIR", str(folder))
    monkeypatch.setattr(tempfile, "tempdir", None)
    yield folder
    tempfile.tempdir = None


def _verdicts(path) -> list:
    with open(path) as f:
        doc = json.load(f)["scripts"][0]
    return [doc["verdict"]] + [(d, v["verdict"]) for d, v in sorted(doc["devices"].items())]


def test_ball_and_stick_through_a_local_cluster_gets_the_local_verdict(tmp_path, own_tmpdir, capsys):
    args = ["check", BALL_AND_STICK, "--devices", "numpy,cpp_standalone", "--quiet"]
    assert main(args + ["--json", str(tmp_path / "local.json")]) == 0
    local = capsys.readouterr().out
    assert main(args + ["--scheduler", "local:2", "--json", str(tmp_path / "dask.json")]) == 0
    remote = capsys.readouterr().out
    assert "within 10 x the noise floor" in local and "within 10 x the noise floor" in remote, remote
    assert _verdicts(tmp_path / "dask.json") == _verdicts(tmp_path / "local.json")
    assert _verdicts(tmp_path / "dask.json")[0] == "agree"
    assert list(own_tmpdir.iterdir()) == []


def test_a_failing_runs_log_is_kept_here_at_the_printed_path(tmp_path, own_tmpdir, capsys):
    script = tmp_path / "raises.py"
    script.write_text("from brian2 import NeuronGroup\nG = NeuronGroup(1, 'v : 1')\n"
                      "raise RuntimeError('boom from the script')\n")
    assert main(["check", str(script), "--devices", "numpy,cython", "--scheduler", "local:2", "--quiet"]) == 1
    out = capsys.readouterr().out
    logs = [line.split("(log: ")[1].split(")")[0] for line in out.splitlines() if "(log: " in line]
    assert len(logs) >= 2, out
    for log in logs:
        assert os.path.exists(log), log
        assert "boom from the script" in open(log).read()
    assert list(own_tmpdir.iterdir()) == []


def _ours(marker: str) -> list:
    import psutil
    found = []
    for p in psutil.process_iter(["cmdline"]):
        cmd = " ".join(p.info["cmdline"] or [])
        if "brian2_harness.check.runner" in cmd and marker in cmd:
            found.append(p)
    return found


def test_sigterm_ends_a_cluster_check_and_leaves_nothing_running(tmp_path, own_tmpdir):
    script = tmp_path / "sleeps.py"
    script.write_text("import time\nfrom brian2 import NeuronGroup\nG = NeuronGroup(1, 'v : 1')\ntime.sleep(600)\n")
    # --fresh-processes: the device processes are then `python -m brian2_harness.check.runner JOB` whose command
    # line names the job under this TMPDIR, so the test can find them; the process server's forks are stopped the
    # same way (tests/test_check_servers.py: SIGTERM of a local check leaves no server and no run)
    proc = subprocess.Popen([sys.executable, "-m", "brian2_harness", "check", str(script), "--devices",
                             "numpy,cython", "--scheduler", "local:2", "--quiet", "--fresh-processes"],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            env=dict(os.environ, TMPDIR=str(own_tmpdir)))
    try:
        deadline = time.monotonic() + 240         # a hang guard, not a timing assertion
        while len(_ours(str(own_tmpdir))) < 2 and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.2)
        assert len(_ours(str(own_tmpdir))) >= 2, "the device processes never started"
        proc.send_signal(signal.SIGTERM)
        out, _ = proc.communicate(timeout=240)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 1 and b"interrupted" in out, out
    assert _ours(str(own_tmpdir)) == []
    assert list(own_tmpdir.iterdir()) == []
