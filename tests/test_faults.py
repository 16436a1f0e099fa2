"""Fault injection: one broken cell never sinks the matrix and nothing is a silent pass."""
import json
import os
import signal
import subprocess
import sys
import time

import pytest

from brian2_harness.cli import main
from brian2_harness.families.growth.case import Case
from brian2_harness.run import RunConfig, execute

pytestmark = pytest.mark.brian
FAULTS = os.path.join(os.path.dirname(__file__), "faults.py")
SMALL = Case(n_pre=2, n_post=1, i=[0, 1], j=[0, 0], w0=[0.5, 0.5], period=0.01, duration=0.02)


def run(variants, devices, tmp_path, **kw):
    from brian2_harness import variant_sources
    variant_sources.load_all([FAULTS])
    cfg = RunConfig(variants=variants, devices=devices, dtypes=["float64"], cases=[SMALL], plugins=[FAULTS],
                    cache_dir=kw.pop("cache_dir", tmp_path / "cache"), **kw)
    return execute(cfg)


def test_compile_error_segfault_crash_and_hang_are_errors_and_others_still_run(tmp_path):
    result = run(["fault_compile_error", "fault_segfault", "fault_worker_crash", "summed_aligned"],
                 ["numpy", "cpp_standalone"], tmp_path, use_cache=False)
    by = {(v.variant, v.device): v for v in result.verdicts}
    assert by[("fault_compile_error", "cpp_standalone")].verdict == "error"
    assert "compil" in by[("fault_compile_error", "cpp_standalone")].reason.lower()
    assert by[("fault_segfault", "cpp_standalone")].verdict == "error"
    assert "run failed" in by[("fault_segfault", "cpp_standalone")].reason.lower()
    crash = by[("fault_worker_crash", "numpy")]
    assert crash.verdict == "error" and "killed by signal 11" in crash.reason
    for v in (crash, by[("fault_segfault", "cpp_standalone")]):
        assert v.log and os.path.exists(v.log)
    assert by[("summed_aligned", "numpy")].verdict == "pass"
    assert by[("summed_aligned", "cpp_standalone")].verdict == "pass"
    assert by[("fault_compile_error", "numpy")].verdict == "skip"     # declared unsupported


def test_a_hanging_cell_times_out_and_the_others_still_run(tmp_path):
    result = run(["fault_hang", "summed_aligned"], ["numpy"], tmp_path, timeout=10)
    by = {v.variant: v for v in result.verdicts}
    assert by["fault_hang"].verdict == "error" and "timed out after 10 s" in by["fault_hang"].reason
    assert os.path.exists(by["fault_hang"].log)
    assert by["summed_aligned"].verdict == "pass"


def test_not_implemented_is_an_error_unless_declared(tmp_path):
    result = run(["fault_not_implemented", "fault_not_implemented_declared"], ["numpy"], tmp_path)
    by = {v.variant: v for v in result.verdicts}
    assert by["fault_not_implemented"].verdict == "error"
    assert "NotImplementedError" in by["fault_not_implemented"].reason
    assert by["fault_not_implemented_declared"].verdict == "skip"
    assert "does not support numpy" in by["fault_not_implemented_declared"].reason


def test_unwritable_build_folder_is_an_error_with_reason(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    result = run(["summed_aligned"], ["numpy"], tmp_path, cache_dir=blocker / "cache")
    (v,) = result.verdicts
    assert v.verdict == "error" and "cannot create a build folder" in v.reason


def test_cli_exit_codes_for_faults_and_required_devices(tmp_path, capsys):
    args = ["run", "--plugin", FAULTS, "--cases", "0", "--default-case", "--quiet", "--cache-dir", str(tmp_path)]
    assert main(args + ["--variants", "fault_not_implemented", "--devices", "numpy"]) == 1
    assert main(args + ["--variants", "summed_aligned", "--devices", "numpy"]) == 0
    # nothing ran: every cell skipped
    assert main(args + ["--variants", "fault_not_implemented_declared", "--devices", "numpy"]) == 1
    assert "nothing ran" in capsys.readouterr().out


def test_required_device_that_cannot_run_fails(tmp_path, monkeypatch, capsys):
    from brian2_harness.devices import cpu as devices
    monkeypatch.setattr(devices.CythonDevice, "probe",
                        lambda self: devices.Probe(devices.UNAVAILABLE, "Cython is not installed (pip install cython)"))
    rc = main(["run", "--variants", "summed_aligned", "--devices", "numpy,cython", "--require", "cython",
               "--cases", "0", "--default-case", "--quiet", "--cache-dir", str(tmp_path)])
    out = capsys.readouterr().out
    assert rc == 1
    assert "cython required but it cannot run here: Cython is not installed" in out


def test_sigint_keeps_finished_cells_and_says_interrupted(tmp_path):
    out = tmp_path / "r.json"
    proc = subprocess.Popen([sys.executable, "-m", "brian2_harness", "run", "--plugin", FAULTS,
                             "--variants", "summed_aligned,fault_hang", "--devices", "numpy", "--cases", "0",
                             "--default-case", "--jobs", "2", "--json", str(out), "--cache-dir", str(tmp_path)],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    deadline = time.time() + 120
    builds = tmp_path / "builds"
    while time.time() < deadline:   # wait until the good cell has finished
        done = [p for p in builds.glob("summed_aligned-*/observables.npz")] if builds.exists() else []
        if done:
            break
        time.sleep(0.5)
    time.sleep(1.0)
    proc.send_signal(signal.SIGINT)
    stdout, _ = proc.communicate(timeout=60)
    assert proc.returncode == 1, stdout
    doc = json.loads(out.read_text())
    assert doc["status"] == "interrupted"
    by = {c["variant"]: c for c in doc["cells"]}
    assert by["summed_aligned"]["verdict"] == "pass"
    assert by["fault_hang"]["verdict"] == "error" and "interrupted" in by["fault_hang"]["reason"]
    assert "interrupted" in stdout


def test_concurrent_runs_share_the_cache_safely(tmp_path):
    cmd = [sys.executable, "-m", "brian2_harness", "run", "--variants", "summed_aligned", "--devices",
           "cpp_standalone", "--cases", "5", "--seed", "9", "--quiet", "--cache-dir", str(tmp_path)]
    procs = [subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True) for _ in range(2)]
    outs = [p.communicate(timeout=600)[0] for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outs
    compiled = sum("1 compiled" in o for o in outs)
    assert compiled == 1 and sum("1 reused" in o for o in outs) == 1     # the lock serialised them
