"""The pytest plugin passes no stale result and no unrun required device: its cache key covers the folders the
script listed (a new file its glob matches reruns it), the environment variables it read and Brian's preference
files; `--brian2-require` fails for a required device the test never runs; bad plugin options are usage errors."""
import json
import os
import subprocess
import sys

import pytest
from test_script_baseline import SCRIPT, fake_devices  # noqa: F401  (fixture)

from brian2_harness.check import plugin_cache
from brian2_harness.check.script import OK, DeviceRun, SeedRun

pytest_plugins = ["pytester"]
TEST = """
import pytest

@pytest.mark.brian2_devices("numpy", "cython")
def test_model(brian2_check):
    brian2_check("model.py")
"""


@pytest.mark.usefixtures("fake_devices")
def test_a_required_device_the_marker_does_not_list_fails(pytester):
    pytester.makepyfile(model=SCRIPT, test_model=TEST)
    res = pytester.runpytest_inprocess("-p", "no:cacheprovider", "--brian2-require", "cuda_standalone")
    res.assert_outcomes(failed=2)
    assert "required device(s) cuda_standalone did not run: not among this test's devices (numpy, cython)" \
        in res.stdout.str()
    res = pytester.runpytest_inprocess("-p", "no:cacheprovider", "--brian2-require", "cython")   # control
    res.assert_outcomes(passed=2)


@pytest.mark.parametrize("args,message", [(("--brian2-require", "foo"), "--brian2-require: unknown device 'foo'"),
                                          (("--brian2-devices", "numpy,foo"), "--brian2-devices: unknown device"),
                                          (("--brian2-regen",), "--brian2-regen: only with --brian2-baseline")])
def test_bad_plugin_options_are_usage_errors(pytester, args, message):
    pytester.makepyfile(model=SCRIPT, test_model=TEST)
    res = pytester.runpytest_inprocess("-p", "no:cacheprovider", *args)
    assert res.ret == pytest.ExitCode.USAGE_ERROR and message in res.stderr.str()


def test_good_plugin_options_are_not_usage_errors(pytester):        # control of the test above
    pytester.makepyfile(test_x="def test_x():\n    pass\n")
    res = pytester.runpytest_inprocess("-p", "no:cacheprovider", "--brian2-require", "cython", "--brian2-devices",
                                       "numpy,cython", "--brian2-regen", "--brian2-baseline", "b")
    res.assert_outcomes(passed=1)


@pytest.fixture
def cached(tmp_path, monkeypatch):
    """A cached runner over a stand-in device run that 'lists' data/ and 'reads' $B2H_TEST_VAR (as the device
    process records them), with HOME in tmp_path; returns (call, runs, script)."""
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.delenv("B2H_TEST_VAR", raising=False)
    monkeypatch.chdir(tmp_path)
    folder = tmp_path / "project"
    (folder / "data").mkdir(parents=True)
    script = folder / "model.py"
    script.write_text("x = 1\n")
    runs = []

    def run(script, device, seeds, **kwargs):
        runs.append(device)
        meta = {"inputs": [os.path.realpath(script)],
                "reads": {"listed": [str(folder / "data")], "environ": ["B2H_TEST_VAR"]}}
        return DeviceRun(device, OK, "", [SeedRun(s, OK, "", {}, meta) for s in seeds], 0.0)
    runner = plugin_cache.cached_runner(tmp_path / "cache", run)
    return (lambda: runner(str(script), "numpy", [0]) and len(runs)), runs, folder


def test_the_cache_reruns_when_a_listed_folder_gains_a_file(cached):
    call, _, folder = cached
    assert call() == 1 and call() == 1                        # control: unchanged, reused
    (folder / "data" / "new.txt").write_text("")
    assert call() == 2 and call() == 2
    (folder / "elsewhere.txt").write_text("")                 # a folder it did not list: still reused
    assert call() == 2


def test_the_cache_reruns_when_a_read_environment_variable_changes(cached, monkeypatch):
    call, _, _ = cached
    assert call() == 1
    monkeypatch.setenv("B2H_TEST_UNREAD", "1")                # control: a variable it did not read
    assert call() == 1
    monkeypatch.setenv("B2H_TEST_VAR", "1")
    assert call() == 2 and call() == 2
    monkeypatch.setenv("B2H_TEST_VAR", "2")
    assert call() == 3


@pytest.mark.parametrize("where", ["project/brian_preferences", "brian_preferences", "home/.brian/user_preferences"])
def test_the_cache_reruns_when_a_brian_preference_file_appears_or_changes(cached, tmp_path, where):
    call, _, _ = cached
    assert call() == 1 and call() == 1
    path = tmp_path / where
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("codegen.target = 'numpy'\n")
    assert call() == 2 and call() == 2
    path.write_text("codegen.target = 'cython'\n")
    assert call() == 3


WATCH = """
import glob, json, os, sys
sys.path.insert(0, sys.argv[1])
from brian2_harness.check import inputs
folder, copy, outside = sys.argv[2:5]
inputs.watch_reads(folder, copy)
os.chdir(copy)
glob.glob("data/*.txt")
os.listdir(outside)
os.environ.get("B2H_A"); os.getenv("B2H_B"); "B2H_C" in os.environ
reads = inputs.stop_reads()
os.environ.get("B2H_AFTER"); os.listdir(copy)
print(json.dumps(reads))
"""


def test_the_device_process_records_listings_and_environment_reads(tmp_path):
    folder, copy, outside = tmp_path / "project", tmp_path / "scratch", tmp_path / "outside"
    for f in (folder / "data", copy, outside):
        f.mkdir(parents=True)
    (copy / "data").symlink_to(folder / "data")              # as workdir.prepare links subfolders
    out = subprocess.run([sys.executable, "-c", WATCH, os.getcwd(), str(folder), str(copy), str(outside)],
                         capture_output=True, text=True, check=True).stdout
    reads = json.loads(out)
    assert reads["listed"] == [str(folder / "data")]        # not `outside`, not the copy after the stop
    assert {"B2H_A", "B2H_B", "B2H_C"} <= set(reads["environ"]) and "B2H_AFTER" not in reads["environ"]


def test_a_run_without_recorded_reads_is_not_reused(tmp_path):
    runs = []

    def run(script, device, seeds, **kwargs):
        runs.append(device)
        return DeviceRun(device, OK, "", [SeedRun(s, OK, "", {}, {"inputs": []}) for s in seeds], 0.0)
    script = tmp_path / "m.py"
    script.write_text("")
    runner = plugin_cache.cached_runner(tmp_path / "cache", run)
    runner(str(script), "numpy", [0])
    runner(str(script), "numpy", [0])
    assert len(runs) == 2


MODEL = """
import glob, os
from brian2 import *
n = len(glob.glob("data/*.txt")) + int(os.environ.get("B2H_EXTRA", "0"))
with open(os.environ["RUNS_FILE"], "a") as f:
    f.write("run\\n")
G = NeuronGroup(2, 'dv/dt = -v/(10*ms) : 1')
G.v = n
M = StateMonitor(G, 'v', record=True)
run(1*ms)
"""


@pytest.mark.brian
def test_a_real_script_reruns_on_a_new_globbed_file_an_env_change_and_a_preference_file(pytester, monkeypatch):
    runs = pytester.path.with_name(pytester.path.name + "-runs.txt")   # its own: sessions share the parent
    monkeypatch.setenv("RUNS_FILE", str(runs))
    monkeypatch.delenv("B2H_EXTRA", raising=False)
    pytester.makepyfile(model=MODEL, test_model=TEST.replace('"numpy", "cython"', '"numpy"'))
    (pytester.path / "data").mkdir()

    def session():
        pytester.runpytest_subprocess("-p", "no:randomly").assert_outcomes(passed=1)
        return runs.read_text().count("run")

    assert session() == 1 and session() == 1                 # control: nothing changed, reused
    (pytester.path / "data" / "a.txt").write_text("")
    assert session() == 2                                    # its glob matches a new file
    monkeypatch.setenv("B2H_EXTRA", "1")
    assert session() == 3                                    # a variable it read changed
    (pytester.path / "brian_preferences").write_text("core.default_float_dtype = float64\n")
    assert session() == 4 and session() == 4                 # a preference file appeared
