"""Run and check on a real Dask cluster: `dask scheduler` + two `dask worker` processes on 127.0.0.1 (TCP).

The documents must be the local run's apart from host and timing fields; a worker SIGKILLed mid-run loses no cell
and duplicates none. Skipped when Dask (brian2-harness[cluster]) is not installed.
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time

import pytest

distributed = pytest.importorskip("distributed", reason="needs Dask: pip install 'brian2-harness[cluster]'")

from brian2_harness.cli import main  # noqa: E402  (only once Dask is known to be there)
from brian2_harness.reports.shards import comparable  # noqa: E402

pytestmark = pytest.mark.brian

SCRIPT_V = """from brian2 import *
G = NeuronGroup(3, 'dv/dt = (1.1 - v) / (10*ms) : 1', threshold='v > 1', reset='v = 0', method='exact')
G.v = 'i * 0.3'
m = StateMonitor(G, 'v', record=True)
s = SpikeMonitor(G)
run(30*ms)
"""
SCRIPT_S = """from brian2 import *
P = SpikeGeneratorGroup(2, [0, 1, 0], [2, 5, 9]*ms)
G = NeuronGroup(2, 'dv/dt = -v / (5*ms) : 1', threshold='v > 0.5', reset='v = 0', method='exact')
S = Synapses(P, G, 'w : 1', on_pre='v += w')
S.connect(j='i')
S.w = 0.7
m = StateMonitor(G, 'v', record=True)
run(20*ms)
"""
RUN = ["run", "--variants", "summed_aligned", "--devices", "numpy,cpp_standalone", "--dtype", "float64,float32",
       "--cases", "2", "--seed", "3", "--quiet"]


def _dask(*args, env=None, log=None):
    return subprocess.Popen([sys.executable, "-m", "dask", *args], stdout=log, stderr=subprocess.STDOUT,
                            env=env, start_new_session=True)


def _stop(proc) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


class Cluster:
    def __init__(self, folder, cache_dir):
        self.folder, self.file = folder, str(folder / "scheduler.json")
        self.env = dict(os.environ, BRIAN2_HARNESS_CACHE=str(cache_dir), PYTHONHASHSEED="0")
        self.log = open(folder / "dask.log", "w")
        self.procs = [_dask("scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard",
                            "--scheduler-file", self.file, env=self.env, log=self.log)]
        self.workers = {}

    def add_worker(self, name: str):
        self.workers[name] = _dask("worker", "--scheduler-file", self.file, "--host", "127.0.0.1", "--nthreads", "1",
                                   "--no-nanny", "--no-dashboard", "--name", name, env=self.env, log=self.log)
        self.procs.append(self.workers[name])
        return self.workers[name]

    def wait(self, n: int):
        deadline = time.monotonic() + 90
        while not os.path.exists(self.file) and time.monotonic() < deadline:
            time.sleep(0.2)
        with distributed.Client(scheduler_file=self.file, timeout=60) as c:
            c.wait_for_workers(n, timeout=max(5, deadline - time.monotonic()))
            return c.scheduler.address

    def close(self):
        for p in reversed(self.procs):
            _stop(p)
        self.log.close()


@pytest.fixture(scope="module")
def cluster(tmp_path_factory, cache_dir):
    c = Cluster(tmp_path_factory.mktemp("dask"), cache_dir)
    c.add_worker("w1"), c.add_worker("w2")
    try:
        c.address = c.wait(2)
        yield c
    finally:
        c.close()


def _doc(path) -> dict:
    with open(path) as f:
        return json.load(f)


def test_run_through_the_cluster_writes_the_local_document(cluster, tmp_path, cache_dir):
    assert main(RUN + ["--cache-dir", str(cache_dir), "--json", str(tmp_path / "local.json")]) == 0
    assert main(RUN + ["--scheduler", cluster.address, "--json", str(tmp_path / "dask.json")]) == 0
    local, remote = _doc(tmp_path / "local.json"), _doc(tmp_path / "dask.json")
    assert remote["cluster"]["workers"] == 2 and remote["cluster"]["tasks"] == len(remote["jobs"])
    assert comparable(remote) == comparable(local)
    assert all(j["timing"]["worker"] for j in remote["jobs"])


def _check_doc(path) -> list:
    out = _doc(path)["scripts"]          # the check document (brian2-harness-check/1)
    for r in out:
        r.pop("seconds")
        for d in r["devices"].values():
            d.pop("seconds"), d.pop("timers"), d.pop("logs")     # logs: paths on the host that ran the device
    return out


def test_check_of_two_scripts_through_the_cluster_is_the_local_check(cluster, tmp_path):
    scripts = []
    for name, text in (("decay_v.py", SCRIPT_V), ("synapse_s.py", SCRIPT_S)):
        (tmp_path / name).write_text(text)
        scripts.append(str(tmp_path / name))
    args = ["check", *scripts, "--devices", "numpy,cpp_standalone", "--quiet"]
    assert main(args + ["--json", str(tmp_path / "local.json")]) == 0
    assert main(args + ["--scheduler", cluster.address, "--json", str(tmp_path / "dask.json")]) == 0
    local, remote = _check_doc(tmp_path / "local.json"), _check_doc(tmp_path / "dask.json")
    assert [r["verdict"] for r in remote] == ["agree", "agree"]
    assert remote == local


def test_a_worker_killed_mid_run_loses_and_duplicates_no_cell(cluster, tmp_path):
    victim = cluster.add_worker("victim")
    cluster.wait(3)
    out, rc = tmp_path / "faults.json", []
    args = ["run", "--variants", "summed_aligned,summed_every_step", "--devices", "numpy", "--dtype",
            "float64,float32", "--cases", "2", "--seed", "5", "--quiet", "--scheduler", cluster.address,
            "--json", str(out)]
    t = threading.Thread(target=lambda: rc.append(main(args)))
    t.start()
    import psutil
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and not psutil.Process(victim.pid).children():
        time.sleep(0.1)                        # the victim is running a job once it has a Brian process
    children = psutil.Process(victim.pid).children()
    assert children, "the victim worker never started a job"
    os.killpg(victim.pid, signal.SIGKILL)
    for child in children:                     # its Brian process would finish its job unobserved
        child.kill()
    t.join(timeout=300)
    assert rc == [0]
    doc = _doc(out)
    keys = [(c["variant"], c["device"], c["dtype"], c["case_id"]) for c in doc["cells"]]
    assert len(keys) == len(set(keys)) == 2 * 2 * 2
    assert all(c["verdict"] == "pass" for c in doc["cells"])


def test_without_dask_the_scheduler_option_names_the_extra(monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "distributed", None)
    assert main(RUN + ["--scheduler", "local:1"]) == 2
    assert "brian2-harness[cluster]" in capsys.readouterr().err


@pytest.mark.parametrize("bad", ["local:0", "nowhere", "tcp//x"])
def test_a_bad_scheduler_is_a_usage_error(bad, capsys):
    assert main(RUN + ["--scheduler", bad]) == 2
    assert "--scheduler" in capsys.readouterr().err


def test_a_job_that_kills_its_workers_becomes_an_error_cell(tmp_path, monkeypatch, cache_dir):
    import dask
    monkeypatch.setenv("B2H_TEST_KILL_HOST", "1")
    out = tmp_path / "killer.json"
    plugin = os.path.join(os.path.dirname(__file__), "cluster_faults.py")
    with dask.config.set({"distributed.scheduler.allowed-failures": 1}):
        rc = main(["run", "--plugin", plugin, "--variants", "fault_kills_its_host,summed_aligned", "--devices",
                   "numpy", "--cases", "1", "--seed", "1", "--quiet", "--scheduler", "local:2",
                   "--cache-dir", str(cache_dir), "--json", str(out)])
    assert rc == 1
    cells = {c["variant"]: c for c in _doc(out)["cells"]}
    assert cells["summed_aligned"]["verdict"] == "pass"
    assert cells["fault_kills_its_host"]["verdict"] == "error"
    assert "died repeatedly" in cells["fault_kills_its_host"]["reason"]


def test_history_names_a_brian2_version_no_worker_offers(tmp_path, capsys):
    corpus = os.path.join(os.path.dirname(__file__), "data", "corpus-default.json")
    rc = main(["history", "--scheduler", "local:1", "--corpus", corpus, "--out-dir", str(tmp_path), "--brian2",
               "2.5.4"])
    assert rc == 1
    assert "brian2 2.5.4 (no worker runs it" in capsys.readouterr().err
