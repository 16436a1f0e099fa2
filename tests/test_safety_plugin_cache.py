"""The pytest plugin reuses a device run only while everything it depended on is unchanged: a module imported from
a sub-package of the script's folder and a data file the script read are recorded at run time; editing either reruns
the script (and a helper that now raises fails the item). The environment is part of the key."""
import pytest
from brian2_harness.check import plugin_cache

pytest_plugins = ["pytester"]

MODEL = """
import os
from brian2 import *
from helpers.params import load
tau = load()['tau_ms'] * ms
with open(os.environ["RUNS_FILE"], "a") as f:
    f.write("run\\n")
G = NeuronGroup(2, 'dv/dt = -v/tau : 1')
G.v = 1
M = StateMonitor(G, 'v', record=True)
run(1*ms)
"""
PARAMS = """
import json, os
def load():
    with open(os.path.join(os.path.dirname(__file__), "..", "params.json")) as f:
        return json.load(f)
"""
TEST = """
import pytest

@pytest.mark.brian2_devices("numpy")
def test_model(brian2_check):
    brian2_check("model.py")
"""


@pytest.mark.brian
def test_edited_submodule_or_data_file_reruns_the_script(pytester, monkeypatch):
    runs = pytester.path.parent / "runs.txt"
    monkeypatch.setenv("RUNS_FILE", str(runs))
    pytester.makepyfile(model=MODEL, test_model=TEST)
    (pytester.path / "helpers").mkdir()
    (pytester.path / "helpers" / "__init__.py").write_text("")
    (pytester.path / "helpers" / "params.py").write_text(PARAMS)
    (pytester.path / "params.json").write_text('{"tau_ms": 10}')

    def session(passed=0, failed=0):
        pytester.runpytest_subprocess("-p", "no:randomly").assert_outcomes(passed=passed, failed=failed)
        return runs.read_text().count("run") if runs.exists() else 0

    assert session(passed=1) == 1
    assert session(passed=1) == 1                        # nothing changed: the cached run is reused
    (pytester.path / "params.json").write_text('{"tau_ms": 20}')
    assert session(passed=1) == 2                        # the data file it read changed: rerun
    (pytester.path / "helpers" / "params.py").write_text("def load():\n    raise RuntimeError('broken')\n")
    assert session(failed=1) == 2                        # the sub-package module changed and now raises


def test_the_key_covers_the_environment(tmp_path, monkeypatch):
    script = tmp_path / "m.py"
    script.write_text("x = 1\n")
    env = plugin_cache.environment_key()
    assert {"brian2", "numpy", "python", "cython", "compiler", "harness", "harness_source"} <= set(env)
    key = plugin_cache.cache_key(script, "numpy", [0], {"cap": None})
    assert plugin_cache.cache_key(script, "numpy", [0], {"cap": 0.1}) != key
    monkeypatch.setattr(plugin_cache, "environment_key", lambda: dict(env, numpy="0.0"))
    assert plugin_cache.cache_key(script, "numpy", [0], {"cap": None}) != key


def test_a_result_without_recorded_inputs_is_not_reused(tmp_path):
    from brian2_harness.check.script import OK, DeviceRun, SeedRun
    calls = []

    def fake(script, device, seeds, **kwargs):
        calls.append(1)
        return DeviceRun(device, OK, "", [SeedRun(0, OK, "", {}, {"status": OK})])
    script = tmp_path / "m.py"
    script.write_text("x = 1\n")
    runner = plugin_cache.cached_runner(tmp_path / "cache", run=fake)
    runner(str(script), "numpy", [0])
    runner(str(script), "numpy", [0])
    assert len(calls) == 2
