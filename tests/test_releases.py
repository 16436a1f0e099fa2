"""A device under another installed Brian2 release (`numpy@2.9.0`, devices/releases.py): names, where its
interpreter comes from, an interpreter that is missing, broken or holds another release (unavailable with the
reason, never a run under the wrong release), the process server of that interpreter, `fuzz --against-release`,
triage by the device's own release; and with Brian: the device really runs in the other interpreter."""
import json
import os
import stat
import sys

import pytest

from brian2_harness.check import check_options, servers
from brian2_harness.check.script import probe
from brian2_harness.devices import UNAVAILABLE, get_device, is_known, releases
from brian2_harness.errors import UsageError
from brian2_harness.fuzz import command, findings, triage
from brian2_harness.versions import installed_version


@pytest.fixture(autouse=True)
def _clean(monkeypatch):
    monkeypatch.delenv(releases.RELEASES_VAR, raising=False)
    monkeypatch.setattr(releases, "_ANSWERS", {})


def fake_python(tmp_path, name: str, body: str) -> str:
    """An 'interpreter' that answers the version question (a shell script)."""
    path = tmp_path / name
    path.write_text("#!/bin/sh\n" + body + "\n")
    path.chmod(path.stat().st_mode | stat.S_IEXEC)
    return str(path)


def answering(tmp_path, name: str, version: str, harness: str | None = None) -> str:
    answer = {"brian2": version, "numpy": "1.26.4", "brian2_harness": harness or installed_version("brian2_harness")}
    return fake_python(tmp_path, name, f"echo '{json.dumps(answer)}'")


def test_names():
    assert releases.split("numpy@2.9.0") == ("numpy", "2.9.0")
    assert releases.split("cpp_standalone") == ("cpp_standalone", None)
    assert releases.base_name("cython@2.5.4") == "cython"
    assert is_known("numpy@2.9.0") and is_known("cpp_standalone_omp@2.10.1") and is_known("numpy")
    assert not is_known("numpy@latest") and not is_known("nosuch@2.9.0") and not is_known("numpy@")


def test_other_commands_refuse_a_release():
    """Only check and fuzz run a device under another release; `run` (get_device) refuses the name."""
    with pytest.raises(UsageError, match="unknown device 'numpy@2.9.0'"):
        get_device("numpy@2.9.0")


def test_check_devices_option():
    assert check_options.devices(["numpy", "numpy@2.9.0"]) == ["numpy", "numpy@2.9.0"]
    for bad, word in (("numpy@latest", "numpy@latest"), ("nosuch@2.9.0", "nosuch@2.9.0")):
        with pytest.raises(UsageError, match=f"--devices: unknown device '{bad}'.*NAME@RELEASE"):
            check_options.devices(["numpy", bad])


def test_release_python_pairs(tmp_path, monkeypatch):
    with pytest.raises(UsageError, match="--release-python: expected RELEASE=PYTHON"):
        releases.configure(["2.9.0"])
    with pytest.raises(UsageError, match="--release-python: 'newest' is not a Brian2 release"):
        releases.configure(["newest=/usr/bin/python3"])
    with pytest.raises(UsageError, match="--release-python: .*nothere.* is not an executable file"):
        releases.configure([f"2.9.0={tmp_path / 'nothere'}"])
    py = answering(tmp_path, "py29", "2.9.0")
    releases.configure([f"2.9.0={py}"])
    assert os.environ[releases.RELEASES_VAR] == f"2.9.0={py}"
    assert releases.interpreter("numpy@2.9.0") == (py, "")
    assert releases.versions_of("numpy@2.9.0")["brian2"] == "2.9.0"
    assert releases.interpreter("numpy") == (sys.executable, "")
    assert releases.versions_of("numpy") is None


def test_wrong_or_broken_interpreter_is_unavailable(tmp_path, monkeypatch):
    """Negative controls: an interpreter of another release, a broken one, none at all -> unavailable, with why."""
    monkeypatch.setenv(releases.RELEASES_VAR, f"2.9.0={answering(tmp_path, 'py', '2.8.0')}")
    mode, why = probe("numpy@2.9.0")
    assert mode == UNAVAILABLE and "has brian2 2.8.0, not 2.9.0" in why and "--release-python 2.9.0=PYTHON" in why
    monkeypatch.setenv(releases.RELEASES_VAR, f"2.9.0={answering(tmp_path, 'old', '2.9.0', harness='0.0.1')}")
    mode, why = probe("numpy@2.9.0")
    assert mode == UNAVAILABLE and "has brian2_harness 0.0.1, not this one's" in why
    monkeypatch.setenv(releases.RELEASES_VAR, f"2.9.0={fake_python(tmp_path, 'bad', 'echo boom >&2; exit 1')}")
    mode, why = probe("numpy@2.9.0")
    assert mode == UNAVAILABLE and "cannot import brian2 and brian2_harness (boom)" in why
    monkeypatch.delenv(releases.RELEASES_VAR)
    monkeypatch.chdir(tmp_path)                   # no .tox/hist-brian2.2.9.0 here
    mode, why = probe("numpy@2.9.0")
    assert mode == UNAVAILABLE and "hist-brian2.2.9.0" in why
    with pytest.raises(RuntimeError, match="no interpreter with brian2 2.9.0"):
        releases.python_for("numpy@2.9.0")


def test_tox_hist_env_is_found(tmp_path, monkeypatch):
    env = tmp_path / ".tox" / "hist-brian2.2.7.1" / "bin"
    env.mkdir(parents=True)
    py = answering(env, "python", "2.7.1")
    monkeypatch.chdir(tmp_path)
    assert releases.interpreter("cython@2.7.1") == (py, "")
    mode, why = probe("cython@2.7.1")
    assert mode != UNAVAILABLE and py in why


def test_server_of_a_release_is_its_interpreter(tmp_path, monkeypatch):
    py = answering(tmp_path, "py", "2.9.0")
    monkeypatch.setenv(releases.RELEASES_VAR, f"2.9.0={py}")
    here, there = servers._key("numpy", {}, "/w"), servers._key("numpy@2.9.0", {}, "/w")
    assert here[0] == sys.executable and there[0] == py and here[1:] == there[1:]
    assert servers._key("cpp_standalone@2.9.0", {}, "/w") == there       # one server per release's group


def test_fuzz_against_release(tmp_path, monkeypatch):
    assert command.with_releases(["numpy", "cpp_standalone"], ["2.5.4"], "2.10.1") == \
        ["numpy", "cpp_standalone", "numpy@2.5.4", "cpp_standalone@2.5.4"]
    with pytest.raises(UsageError, match="--against-release: 2.10.1 is the brian2 this command runs under"):
        command.with_releases(["numpy", "cython"], ["2.10.1"], "2.10.1")
    with pytest.raises(UsageError, match="--against-release: 'x' is not a Brian2 release"):
        command.with_releases(["numpy", "cython"], ["x"], "2.10.1")
    monkeypatch.chdir(tmp_path)
    with pytest.raises(UsageError, match="numpy@2.5.4: no interpreter with brian2 2.5.4"):
        command.available(["numpy", "numpy@2.5.4"])
    monkeypatch.setenv(releases.RELEASES_VAR, f"2.5.4={answering(tmp_path, 'py', '2.5.4')}")
    command.available(["numpy", "numpy@2.5.4"])


def _finding(devices, release):
    sig = findings.signature(devices, "fail", ["int"], ["floor_div"])
    return findings.Finding(id="x", signature=sig, devices=devices, reference="numpy", outcome="fail",
                            observables=["mon.k0"], features=["floor_div"], release=release, script_lines=5,
                            found_after_s=1.0, model={}, shrink={})


def test_triage_reads_the_devices_own_release():
    script = "G = NeuronGroup(1, 'k0 : integer')\nG.k0 = '(i * 49) // 49'\n"
    assert triage.classify(_finding(["cpp_standalone@2.5.4"], "2.10.1"), script)["rule"] == "brian2-1495"
    assert triage.classify(_finding(["cpp_standalone"], "2.5.4"), script)["rule"] == "brian2-1495"
    # negative control: the same disagreement on a release with the fix is not #1495
    assert triage.classify(_finding(["cpp_standalone@2.6.0"], "2.5.4"), script)["rule"] != "brian2-1495"
    assert triage.classify(_finding(["cpp_standalone"], "2.10.1"), script)["rule"] != "brian2-1495"


SHIFTED = """
import sys
from brian2 import *
G = NeuronGroup(3, 'dv/dt = -v/(10*ms) : 1', method='exact')
G.v = 'i*0.1 + {}'.format(float(sys._xoptions.get('b2h_test_shift', '0')))
M = StateMonitor(G, 'v', record=True)
run(1*ms)
"""


@pytest.mark.brian
def test_check_runs_the_device_in_the_releases_interpreter(tmp_path, cache_dir):
    """`numpy@X` runs in X's interpreter: here this interpreter behind a wrapper that passes `-X
    b2h_test_shift=0.5`, which the script reads. Same values -> agree exactly; the shift -> fail (negative control:
    a check that ran numpy@X in this process would agree)."""
    from brian2_harness.cli import main
    version = installed_version("brian2")
    script = tmp_path / "shifted.py"
    script.write_text(SHIFTED)
    same = fake_python(tmp_path, "same", f'exec {sys.executable} "$@"')
    shifted = fake_python(tmp_path, "shifted", f'exec {sys.executable} -X b2h_test_shift=0.5 "$@"')
    out = tmp_path / "same.json"
    rc = main(["check", str(script), "--devices", f"numpy,numpy@{version}", "--release-python",
               f"{version}={same}", "--cache-dir", str(cache_dir), "--quiet", "--json", str(out)])
    doc = json.loads(out.read_text())
    assert rc == 0, doc
    assert doc["scripts"][0]["devices"][f"numpy@{version}"]["verdict"] == "agree"
    assert doc["environment"]["releases"][f"numpy@{version}"]["brian2"] == version
    releases._ANSWERS.clear()
    os.environ.pop(releases.RELEASES_VAR, None)
    out = tmp_path / "shifted.json"
    rc = main(["check", str(script), "--devices", f"numpy,numpy@{version}", "--release-python",
               f"{version}={shifted}", "--cache-dir", str(cache_dir), "--quiet", "--json", str(out)])
    doc = json.loads(out.read_text())
    assert rc == 1 and doc["scripts"][0]["devices"][f"numpy@{version}"]["verdict"] == "fail", doc


def test_replay_never_calls_a_finding_that_did_not_run_flaky(tmp_path, monkeypatch):
    """A device that did not run on replay (no interpreter for its release, no GPU) leaves the finding as it was:
    'does not reproduce' would say the bug is gone. Negative control: the device runs and agrees -> flaky."""
    from brian2_harness.check.result import CheckResult, DeviceVerdict
    from brian2_harness.fuzz import differential, replay
    f = _finding(["cpp_standalone@2.5.4"], "2.10.1")
    findings.save(str(tmp_path), f, "print('model')\n")
    said = []

    def result(verdict):
        return CheckResult("s.py", verdict, "", "numpy", {"numpy": DeviceVerdict("numpy", "reference", ""),
                           "cpp_standalone@2.5.4": DeviceVerdict("cpp_standalone@2.5.4", verdict, "no interpreter")},
                           {}, "exact")
    monkeypatch.setattr(differential, "run_check", lambda *a, **k: result("skip"))
    replay.replay(str(tmp_path), "2.10.1", say=said.append)
    assert findings.load_all(str(tmp_path))[0].status == "reproduces"
    assert "not re-checked" in said[-1] and "no interpreter" in said[-1]
    monkeypatch.setattr(differential, "run_check", lambda *a, **k: result("agree"))
    replay.replay(str(tmp_path), "2.10.1", say=said.append)
    assert findings.load_all(str(tmp_path))[0].status == "flaky"
