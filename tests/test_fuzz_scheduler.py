"""`fuzz --scheduler` without Brian: the option reaches every `check` the campaign makes as check's own Dask
runner (check/cluster.py's DaskRunner on the client `check --scheduler` would connect), summary.json records the
scheduler; packs, bisection, a finding's checks, --replay and --bench all pass the runner on; a malformed address
or a missing cluster extra is one usage line (exit 2) before anything runs. The same campaign on a real
LocalCluster with Brian is tests/test_fuzz_cluster_brian.py (deep)."""
from __future__ import annotations

import contextlib
import json
import sys

import pytest

from brian2_harness.check.cluster import DaskRunner
from brian2_harness.check.script import ERROR, run_device
from brian2_harness.check.verdict import REFERENCE, CheckResult, DeviceVerdict
from brian2_harness.cli import main
from brian2_harness.fuzz import bench, campaign, differential, features, findings, replay
from brian2_harness.fuzz.strategies import Model
from brian2_harness.run import cluster as run_cluster

DEVICES = ["numpy", "cpp_standalone"]
ADDRESS = "tcp://10.0.0.2:8786"
MODELS = [Model((f"@G = NeuronGroup({n}, 'k0 : integer', name='@G')",
                 "@mon = StateMonitor(@G, ['k0'], record=True, name='@mon')")) for n in (2, 3, 4, 5)]


def _agree(devices, verdict="pass", reference_verdict=REFERENCE) -> CheckResult:
    verdicts = {d: DeviceVerdict(d, reference_verdict if d == devices[0] else verdict, "") for d in devices}
    return CheckResult("pack.py", verdict, "", devices[0], verdicts, {}, "exact")


@pytest.fixture
def checks(monkeypatch):
    """Every call of check.verdict.check from fuzz: (devices, runner); each device agrees."""
    seen = []

    def fake(path, devices, **kw):
        seen.append((list(devices), kw.get("runner")))
        return _agree(list(devices))
    monkeypatch.setattr(differential, "check", fake)
    return seen


@pytest.fixture
def cluster(monkeypatch):
    """check's connect and worker choice, faked: the address connected to (none is reached)."""
    connected = []

    @contextlib.contextmanager
    def connect(text, timeout=30.0, cache_dir=None):
        connected.append(text)
        yield "client"
    monkeypatch.setattr(run_cluster, "connect", connect)
    monkeypatch.setattr(run_cluster, "workers_like_here", lambda client: ["tcp://w1:1", "tcp://w2:1"])
    return connected


def _fuzz(out, *extra):
    return main(["fuzz", "--devices", ",".join(DEVICES), "--max-models", "2", "--pack", "2", "--seed", "1",
                 "--out", str(out), "--quiet", *extra])


def test_the_scheduler_reaches_every_check_and_the_summary(tmp_path, checks, cluster):
    assert _fuzz(tmp_path / "dask", "--scheduler", ADDRESS) == 0
    assert cluster == [ADDRESS] and checks
    assert all(isinstance(r, DaskRunner) and r.client == "client" and r.workers == ["tcp://w1:1", "tcp://w2:1"]
               for _, r in checks), checks
    summary = json.loads((tmp_path / "dask" / "summary.json").read_text())
    assert summary["cluster"] == {"scheduler": ADDRESS, "workers": 2, "tasks": 0}    # the fake check sent none
    # negative control: without --scheduler nothing connects, check runs each device here
    checks.clear()
    assert _fuzz(tmp_path / "here") == 0
    assert cluster == [ADDRESS] and checks and all(r is run_device for _, r in checks)
    assert json.loads((tmp_path / "here" / "summary.json").read_text())["cluster"] is None


def test_bisection_a_findings_checks_replay_and_bench_pass_the_runner_on(tmp_path, monkeypatch):
    seen = []
    runner = object()

    def reference_errors(path, devices, **kw):          # every pack errors on the reference: bisected to the end
        seen.append(kw.get("runner"))
        return _agree(list(devices), reference_verdict=ERROR)
    monkeypatch.setattr(differential, "check", reference_errors)
    work = str(tmp_path)
    _, found, invalid = differential.check_models(MODELS, (5,), DEVICES, work, timeout=1, runner=runner)
    assert sorted(invalid) == [0, 1, 2, 3] and len(seen) == 1 + 2 + 4 and all(r is runner for r in seen)
    seen.clear()
    differential.check_models(MODELS[:1], (5,), DEVICES, work, timeout=1)          # control: no runner given
    assert seen == [run_device]

    seen.clear()
    cfg = campaign.Config(devices=DEVICES, budget_s=60, seed=1, out=str(tmp_path / "c"), shares=features.shares(),
                          runner=runner, scheduler="local:1")
    campaign.Campaign(cfg, lambda text: None).check_script("print(1)\n", DEVICES, "shrink-p0-1")   # shrink, final,
    assert seen == [runner]                                                                       # re-check
    seen.clear()
    sig = findings.signature(["cpp_standalone"], "fail", ["int"], ["int_vars"])
    f = findings.Finding(id=findings.finding_id(sig), signature=sig, devices=["cpp_standalone"], reference="numpy",
                         outcome="fail", observables=[], features=["int_vars"], release="2.10.1", script_lines=2,
                         found_after_s=1.0, model={}, shrink={"reached": True, "candidates": 0, "seconds": 0.0,
                                                              "original_lines": 2})
    findings.save(str(tmp_path / "c"), f, "print(1)\n")
    replay.replay(str(tmp_path / "c"), "2.10.1", say=lambda text: None, runner=runner)
    assert seen == [runner]
    seen.clear()
    bench.run(2, DEVICES, features.shares(), 1, str(tmp_path / "b"), sample=1, say=lambda text: None, runner=runner)
    assert len(seen) == 3 and all(r is runner for r in seen)                   # warm-up, packed, one single


@pytest.mark.parametrize("bad", ["", "tcp://::::", "local:0", "nowhere", "host:99999"])
@pytest.mark.parametrize("mode", ["campaign", "replay", "bench"])
def test_a_malformed_scheduler_is_refused_before_anything_runs(tmp_path, capsys, checks, bad, mode):
    (tmp_path / "old" / "findings").mkdir(parents=True)
    extra = {"campaign": [], "replay": ["--replay", str(tmp_path / "old")], "bench": ["--bench", "2"]}[mode]
    assert _fuzz(tmp_path / "out", "--scheduler", bad, *extra) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "--scheduler" in err and "local:N" in err, err
    assert not (tmp_path / "out").exists() and checks == []


def test_without_dask_the_error_is_checks_own(tmp_path, capsys, checks, monkeypatch):
    monkeypatch.setitem(sys.modules, "distributed", None)
    script = tmp_path / "model.py"
    script.write_text("print('never run')\n")
    assert main(["check", str(script), "--devices", "numpy,cython", "--scheduler", "local:1"]) == 2
    expected = capsys.readouterr().err
    assert _fuzz(tmp_path / "out", "--scheduler", "local:1") == 2
    err = capsys.readouterr().err
    assert err == expected and len(err.strip().splitlines()) == 1 and "brian2-harness[cluster]" in err, err
    assert "--scheduler" in err and not (tmp_path / "out").exists() and checks == []
