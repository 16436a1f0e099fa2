"""`brian2-harness check` with Brian2: unmodified scripts on numpy and cpp_standalone, skips, errors, the
statistical mode's negative control, and the pytest plugin (with pytester, including the README example as written).

Kept small: tiny models, short runs, numpy plus cpp_standalone at most. Standalone builds go to the check cache
(~/.cache/brian2-harness/check): the README model is compiled once and shared by its CLI and plugin tests.
"""
import json
import os
import re
from concurrent.futures import ThreadPoolExecutor

import pytest

from brian2_harness.check import stats
from brian2_harness.check.script import run_device
from brian2_harness.check.verdict import check

pytest_plugins = ["pytester"]
pytestmark = pytest.mark.brian

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
README = os.path.join(ROOT, "README.md")
STOCHASTIC = os.path.join(ROOT, "models", "scripts", "normalization_poisson.py")


def readme_block(first_line: str) -> str:
    """The README's fenced Python block that starts with `first_line` (e.g. '# my_model.py')."""
    with open(README) as f:
        text = f.read()
    for block in re.findall(r"```python\n(.*?)```", text, flags=re.S):
        if block.startswith(first_line):
            return block
    raise AssertionError(f"README has no python block starting with {first_line!r}")


@pytest.fixture
def model(tmp_path):
    path = tmp_path / "my_model.py"
    path.write_text(readme_block("# my_model.py"))
    return path


def test_readme_model_agrees_exactly_via_the_cli(model, tmp_path, capsys):
    from brian2_harness.cli import main
    out = tmp_path / "r.json"
    rc = main(["check", str(model), "--devices", "numpy,cpp_standalone", "--json", str(out), "--quiet"])
    doc = json.loads(out.read_text())["scripts"][0]
    assert rc == 0, capsys.readouterr().out
    assert doc["verdict"] == "agree" and doc["mode"] == "exact"
    assert doc["devices"]["cpp_standalone"]["verdict"] == "agree"
    assert "AGREE EXACTLY" in capsys.readouterr().out


def test_device_dependent_results_fail_and_brian_refusals_skip(tmp_path):
    """A script whose values depend on the device fails with the observable named; a network_operation is a
    skip on cpp_standalone (with the reason), and an exception is an error with the script line - no crash."""
    buggy = tmp_path / "my_model_bug.py"     # its own standalone build folder (a rerun compiles nothing)
    buggy.write_text(readme_block("# my_model.py").replace(
        "run(", "if type(get_device()).__name__ == 'CPPStandaloneDevice':\n    G.v = 0.05\nrun(", 1))
    netop = tmp_path / "netop.py"
    netop.write_text("from brian2 import *\nG = NeuronGroup(2, 'v : 1')\n"
                     "@network_operation(dt=1*ms)\ndef f():\n    G.v += 1\nM = StateMonitor(G, 'v', record=True)\n"
                     "run(3*ms)\n")
    broken = tmp_path / "broken.py"
    broken.write_text("from brian2 import *\nG = NeuronGroup(2, 'v : 1')\nx = 1 / 0\n")
    r = check(str(netop), ["numpy", "cpp_standalone"])
    assert r.verdict == "skip" and r.devices["cpp_standalone"].verdict == "skip"
    assert "network_operation" in r.devices["cpp_standalone"].reason and "only numpy ran" in r.reason
    r = check(str(broken), ["numpy", "cpp_standalone"])
    assert r.verdict == "error" and "ZeroDivisionError" in r.reason and "script line 3" in r.reason
    r = check(str(buggy), ["numpy", "cpp_standalone"])
    assert r.verdict == "fail", r.reason
    assert "cpp_standalone" in r.reason and ("spikes" in r.reason or "trace.v" in r.reason)   # the script's names


def test_negative_control_rate_changed_by_ten_percent_is_flagged(tmp_path):
    """The stochastic normalization model (Poisson input in generated code): the unchanged model on other seeds
    passes, the copy with a 10 % higher input rate is flagged, naming the statistic."""
    text = open(STOCHASTIC).read()
    assert "rate = 20 * Hz" in text
    changed = tmp_path / "normalization_poisson.py"
    changed.write_text(text.replace("rate = 20 * Hz", "rate = 22 * Hz"))
    k = 6
    jobs = [(STOCHASTIC, range(k)), (STOCHASTIC, range(1000, 1000 + k)), (str(changed), range(1000, 1000 + k))]
    with ThreadPoolExecutor(2) as pool:
        ref, same, faster = pool.map(lambda job: run_device(job[0], "numpy", list(job[1]), stat=True), jobs)
    assert ref.status == same.status == faster.status == "ok", (ref.reason, same.reason, faster.reason)
    assert ref.random_sources == ["input: rand in threshold"]
    t_end = ref.runs[0].meta["t_end"]
    assert t_end == pytest.approx(1.0)
    ok = stats.compare_statistics("numpy", {"numpy": [r.statistics for r in ref.runs],
                                            "cython": [r.statistics for r in same.runs]}, alpha=0.01)
    assert ok.equivalent, ok.summary
    bad = stats.compare_statistics("numpy", {"numpy": [r.statistics for r in ref.runs],
                                             "cython": [r.statistics for r in faster.runs]}, alpha=0.01)
    assert not bad.equivalent
    assert "input_spikes: population rate" in bad.summary, bad.summary


def test_readme_plugin_example_runs_as_written(pytester):
    """The README's two files and its command, unchanged (xdist, JUnit): one pytest item per device, both pass."""
    pytester.makepyfile(my_model=readme_block("# my_model.py"), test_my_model=readme_block("# test_my_model.py"))
    with open(README) as f:
        command = re.search(r"`(pytest -n 2 test_my_model.py --junitxml=junit.xml)`", f.read()).group(1)
    result = pytester.runpytest_subprocess(*command.split()[1:], "-v")
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines_random(["*PASSED*test_my_model?numpy?*", "*PASSED*test_my_model?cpp_standalone?*"])
    junit = (pytester.path / "junit.xml").read_text()
    assert junit.count("<testcase ") == 2 and "test_my_model[cpp_standalone]" in junit


def test_plugin_items_skip_and_fail_with_reasons(pytester):
    """Brian's refusal is a pytest skip with the reason; an error on one device fails that item only."""
    pytester.makepyfile(
        netop="from brian2 import *\nG = NeuronGroup(2, 'v : 1')\n@network_operation(dt=1*ms)\n"
              "def f():\n    G.v += 1\nM = StateMonitor(G, 'v', record=True)\nrun(2*ms)\n",
        fragile="from brian2 import *\nif type(get_device()).__name__ == 'CPPStandaloneDevice':\n"
                "    raise RuntimeError('boom on standalone')\nG = NeuronGroup(2, 'v : 1')\n"
                "M = StateMonitor(G, 'v', record=True)\nrun(2*ms)\n",
        test_models="""
            import pytest

            @pytest.mark.brian2_devices("numpy", "cpp_standalone")
            def test_netop(brian2_check):
                brian2_check("netop.py")

            @pytest.mark.brian2_devices("numpy", "cpp_standalone")
            def test_fragile(brian2_check):
                brian2_check("fragile.py")
            """)
    result = pytester.runpytest_subprocess("-rA", "-p", "no:randomly")
    result.assert_outcomes(passed=2, skipped=1, failed=1)
    result.stdout.fnmatch_lines(["*test_fragile?cpp_standalone?*", "*cpp_standalone vs numpy: error: RuntimeError: "
                                 "boom on standalone (script line 3)*", "*SKIPPED*cpp_standalone*network_operation*"])
