"""`check --scheduler` without a cluster (issues 34 item 5, 35): the Dask runner takes every keyword the local
runner takes (signatures compared, so a new option cannot be dropped again), sends them to the worker (perturb:
the noise floor), keeps a failing run's log on this machine at the path it prints, writes nothing to $TMPDIR and
gives up at a stop; `--scheduler` values are checked before any work (one line, exit 2), `local:N` is capped at the
cores. No Brian, no Dask cluster: a stand-in client returns what a worker would."""
from __future__ import annotations

import inspect
import json
import os
import tempfile

import pytest

from brian2_harness.check import cluster as check_cluster
from brian2_harness.check import collect
from brian2_harness.check.script import DeviceRunner, run_device
from brian2_harness.cli import main
from brian2_harness.devices.openmp import cores
from brian2_harness.errors import UsageError
from brian2_harness.plumbing import processes
from brian2_harness.run import cluster as run_cluster


def _params(fn, drop_self: bool = False) -> list[tuple]:
    ps = list(inspect.signature(fn).parameters.values())[1 if drop_self else 0:]
    return [(p.name, p.kind, p.default, str(p.annotation)) for p in ps]


def drift(local, other, drop_self: bool = True) -> list[str]:
    """What `other` (a runner's __call__) lacks or changes of `local`'s signature (name, kind, default, type)."""
    a, b = _params(local), _params(other, drop_self)
    return [f"{x[0]}: {x} vs {dict((y[0], y) for y in b).get(x[0])}" for x in a if x not in b] + \
           [f"{y[0]}: only in the other runner" for y in b if y[0] not in {x[0] for x in a}]


def test_the_cluster_runner_has_the_local_runners_signature():
    assert drift(run_device, check_cluster.DaskRunner.__call__) == []
    assert drift(run_device, DeviceRunner.__call__) == []


def forwarded(make_runner) -> list[str]:
    """The keywords of `run_device` that a wrapping runner (`make_runner(run)` wraps `run`) does not hand to `run`
    unchanged: called with a non-default value for each, the wrapped `run` must see them all."""
    values = {p.name: f"value-of-{p.name}" for p in inspect.signature(run_device).parameters.values()
              if p.kind is inspect.Parameter.KEYWORD_ONLY}
    seen = {}

    def run(script, device, seeds, **kwargs):
        seen.update(kwargs)
        from brian2_harness.check.script import DeviceRun
        return DeviceRun(device, "error", "not cached")
    make_runner(run)("model.py", "numpy", [0], **values)
    return sorted(k for k, v in values.items() if seen.get(k) != v)


def test_the_plugins_cached_runner_forwards_every_keyword_of_the_local_runner(tmp_path):
    from brian2_harness.check.plugin_cache import cached_runner
    assert forwarded(lambda run: cached_runner(tmp_path, run=run)) == []


def test_negative_control_a_runner_that_drops_a_keyword_is_caught(tmp_path):
    def dropping(run):
        def runner(script, device, seeds, *, perturb=0, **kwargs):
            return run(script, device, seeds, **kwargs)
        return runner
    assert forwarded(dropping) == ["perturb"]


def test_negative_control_a_drifted_runner_is_caught():
    class Old:        # the DaskRunner of issue 34: no perturb
        def __call__(self, script, device, seeds, *, stat=False, cap=None, observe=None, timeout=600.0,
                     cache_dir=None, work_dir=None, args=None, keep=False):
            pass

    class Renamed:
        def __call__(self, script: str, device: str, seeds: list[int], *, stat: bool = False,
                     cap: float | None = None, observe: list[str] | None = None, timeout: float = 60.0,
                     cache_dir=None, work_dir: str | None = None, args: list[str] | None = None,
                     keep: bool = False, perturb: int = 0):
            pass
    assert any(d.startswith("perturb") for d in drift(run_device, Old.__call__))
    found = drift(run_device, Renamed.__call__)
    assert any(d.startswith("timeout") for d in found) and any(d.startswith("cache_dir") for d in found)


# --- a stand-in Dask client --------------------------------------------------------------------------------------
class Future:
    def __init__(self, result=None, never=False):
        self._result, self.never, self.cancelled = result, never, False

    def done(self):
        return not self.never

    def result(self, timeout=None):
        assert timeout is None and not self.never      # asked once, when done (a timeout raced in distributed)
        return self._result

    def cancel(self):
        self.cancelled = True


class Client:
    def __init__(self, make):
        self.make, self.specs, self.futures = make, [], []

    def submit(self, fn, spec, **kwargs):
        assert fn is check_cluster.run_device_task
        self.specs.append(json.loads(spec))
        self.futures.append(self.make(self.specs[-1]))
        return self.futures[-1]


def _worker_result(spec, tmp, status="error"):
    """What run_device_task returns for a seed that failed on the worker (its folder there is gone)."""
    folder = os.path.join(tmp, "work", f"{spec['device']}-x", f"seed-{spec['seeds'][0]}")
    meta = {"status": status, "reason": "RuntimeError: boom (line 3)", "log": os.path.join(folder, "log.txt"),
            "t_end": 0.0, "observables": {}}
    return {"device": spec["device"], "status": status, "seconds": 0.1, "host": "worker-host", "tmp": tmp,
            "reason": f"RuntimeError: boom (line 3) (log: {os.path.join(folder, 'log.txt')})",
            "runner_log": "runner output\n",
            "seeds": [{"seed": spec["seeds"][0], "status": status, "reason": meta["reason"], "folder": folder,
                       "meta": json.dumps(meta), "observables": b"", "log": "Traceback ...\nRuntimeError: boom\n"}]}


@pytest.fixture
def own_tmpdir(tmp_path, monkeypatch):
    """$TMPDIR of this test: a fresh folder, to see what a run leaves there."""
    folder = tmp_path / "TMPDIR"
    folder.mkdir()
    monkeypatch.setenv("TMPDIR", str(folder))
    monkeypatch.setattr(tempfile, "tempdir", None)
    yield folder
    tempfile.tempdir = None


def test_every_keyword_reaches_the_worker_and_a_failing_log_stays_here(tmp_path, own_tmpdir):
    script = tmp_path / "model.py"
    script.write_text("print('hello')\n")
    client = Client(lambda spec: Future(_worker_result(spec, "/tmp/b2h-check-task-gone")))
    runner = check_cluster.DaskRunner(client, ["tcp://w1"])
    cache = tmp_path / "cache"
    run = runner(str(script), "numpy", [4], stat=False, cap=0.1, observe=["m.v"], timeout=30.0, cache_dir=cache,
                 args=["--n", "3"], perturb=2)
    spec = client.specs[0]
    assert (spec["perturb"], spec["cap"], spec["observe"], spec["timeout"], spec["args"], spec["seeds"]) == \
        (2, 0.1, ["m.v"], 30.0, ["--n", "3"], [4])
    log = run.reason.split("(log: ")[1].rstrip(")")
    assert os.path.exists(log) and "RuntimeError: boom" in open(log).read()           # the printed path is real
    assert log.startswith(str(cache / "runs")) and os.path.exists(run.runs[0].meta["log"])
    assert collect.load(os.path.dirname(log))[1]["log"] == log
    assert list(own_tmpdir.iterdir()) == []                                             # nothing in $TMPDIR
    assert run.runs[0].meta["script"] == str(script)


def test_a_passing_cluster_run_keeps_only_its_logs(tmp_path, own_tmpdir):
    script = tmp_path / "model.py"
    script.write_text("print('hello')\n")
    seed_src = tmp_path / "src"
    collect.save(str(seed_src), {}, {"status": "ok", "reason": "", "t_end": 0.0})

    def ok(spec):
        res = _worker_result(spec, "/tmp/gone", status="ok")
        res["reason"] = ""
        res["seeds"][0]["meta"] = (seed_src / "meta.json").read_text()
        return Future(res)
    run = check_cluster.DaskRunner(Client(ok), ["tcp://w1"])(str(script), "numpy", [0], cache_dir=tmp_path / "c")
    assert run.status == "ok"
    left = sorted(p.name for p in (tmp_path / "c" / "runs").rglob("*") if p.is_file())
    assert set(left) <= {"log.txt", "meta.json", "runner.log"} and "log.txt" in left
    assert list(own_tmpdir.iterdir()) == []


def test_a_stop_cancels_the_task_instead_of_waiting_for_it(tmp_path):
    script = tmp_path / "model.py"
    script.write_text("print('hello')\n")
    client = Client(lambda spec: Future(never=True))
    processes.stop_all()                 # what check does on SIGINT/SIGTERM
    try:
        with pytest.raises(KeyboardInterrupt):
            check_cluster.DaskRunner(client, ["tcp://w1"])(str(script), "numpy", [0], cache_dir=tmp_path)
    finally:
        processes.resume()
    assert client.futures[0].cancelled


# --- --scheduler values ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("bad", ["", "tcp://::::", "local:0", "local:x", "nowhere", "tcp//x", "host:99999",
                                 "tcp://host", " local"])
def test_a_bad_scheduler_value_is_one_usage_error_naming_the_forms(bad):
    with pytest.raises(UsageError) as e:
        run_cluster.parse_scheduler(bad)
    assert "--scheduler" in str(e.value) and "local:N" in str(e.value) and "\n" not in str(e.value)


@pytest.mark.parametrize("good", ["local", "local:1", "tcp://10.0.0.2:8786", "tcp://[::1]:8786", "node-3.lab:8786",
                                  "tls://sched.example.org:8786"])
def test_good_scheduler_values_parse(good):
    assert run_cluster.parse_scheduler(good)[0] == (None if good.startswith("local") else good)


def test_local_workers_are_capped_at_the_cores_with_a_warning():
    n = cores()
    assert run_cluster.parse_scheduler("local:999") == (None, n)
    assert run_cluster.parse_scheduler(f"local:{n}") == (None, n)
    note = run_cluster.local_note("local:999")
    assert f"{n} core(s)" in note and "not 999" in note
    assert run_cluster.local_note(f"local:{n}") == "" and run_cluster.local_note("local") == ""


@pytest.mark.parametrize("command", [
    ["check", "{script}", "--devices", "numpy,cython"],
    ["run", "--variants", "summed_aligned", "--devices", "numpy", "--cases", "1"],
    ["history", "--corpus", "c.json", "--out-dir", "out"],
])
@pytest.mark.parametrize("bad", ["", "tcp://::::"])
def test_the_commands_refuse_a_bad_scheduler_in_one_line(tmp_path, capsys, command, bad):
    script = tmp_path / "model.py"
    script.write_text("print('never run')\n")
    rc = main([c.format(script=script) for c in command] + ["--scheduler", bad])
    err = capsys.readouterr().err
    assert rc == 2, err
    assert len(err.strip().splitlines()) == 1 and "--scheduler" in err and "local:N" in err
    assert "Traceback" not in err


@pytest.mark.parametrize("address", ["tcp://127.0.0.1:1", "no-such-host.invalid:8786"])
def test_an_address_that_cannot_be_reached_is_one_usage_line(address):
    pytest.importorskip("distributed")
    with pytest.raises(UsageError) as e:
        with run_cluster.connect(address, timeout=2):
            pass
    assert "--scheduler" in str(e.value) and address in str(e.value) and "\n" not in str(e.value)


def test_connect_starts_at_most_the_cores_and_warns(monkeypatch, capsys):
    import contextlib
    started = []

    @contextlib.contextmanager
    def local(distributed, n, cache_dir):
        started.append(n)
        yield "client"
    monkeypatch.setattr(run_cluster, "_local", local)
    monkeypatch.setattr(run_cluster, "require_dask", lambda option="--scheduler": None)
    with run_cluster.connect("local:999") as client:
        assert client == "client"
    assert started == [cores()]
    assert f"warning: --scheduler local:999: this machine has {cores()} core(s)" in capsys.readouterr().err
    with run_cluster.connect("local:1"):
        pass
    assert started[-1] == 1 and capsys.readouterr().err == ""                 # control: no cap, no warning


def test_the_worker_runs_the_script_where_it_lies_when_it_sees_the_same_file(tmp_path, monkeypatch):
    """Brian2's Brette 2012 examples import `params` from their folder: run from a copy elsewhere they were
    skipped through the cluster ("needs the Python module 'params'") and agreed locally."""
    folder = tmp_path / "Brette_2012"
    folder.mkdir()
    (folder / "params.py").write_text("N = 3\n")
    script = folder / "Fig1.py"
    script.write_text("from params import *\nprint(N)\n")
    ran = []

    def fake_run_device(path, device, seeds, **kwargs):
        ran.append(path)
        return check_cluster.DeviceRun(device, "error", "stopped here")
    monkeypatch.setattr(check_cluster, "run_device", fake_run_device)
    spec = {"name": "Fig1.py", "path": str(script), "text": script.read_text(), "device": "numpy", "seeds": [0],
            "stat": False, "cap": None, "observe": [], "timeout": 10.0, "args": [], "perturb": 0}
    check_cluster.run_device_task(json.dumps(spec))
    assert ran[-1] == str(script)                                   # the worker sees it: run where it lies
    # negative controls: another text at that path (an edited file, another machine), no such path, an old client
    for changed in ({"text": "print(1)\n"}, {"path": str(tmp_path / "elsewhere" / "Fig1.py")}, {"path": None}):
        check_cluster.run_device_task(json.dumps({**spec, **changed}))
        assert ran[-1] != str(script) and os.path.basename(ran[-1]) == "Fig1.py", changed
    assert not (tmp_path / "elsewhere").exists()


def test_the_client_sends_the_scripts_absolute_path(tmp_path, own_tmpdir, monkeypatch):
    script = tmp_path / "model.py"
    script.write_text("print('hello')\n")
    client = Client(lambda spec: Future(_worker_result(spec, "/tmp/b2h-check-task-gone")))
    monkeypatch.chdir(tmp_path)
    check_cluster.DaskRunner(client, ["tcp://w1"])("model.py", "numpy", [0], cache_dir=tmp_path / "cache")
    assert client.specs[0]["path"] == str(script)
