"""Required devices in the pytest plugin: a device that did not run is a skip, unless it is required
(--brian2-require, or the marker's `require=`): then the item fails. The device is made unavailable through its
probe (a conftest in the test project), so only numpy runs Brian (a few milliseconds of simulated time)."""
import pytest

pytest_plugins = ["pytester"]
pytestmark = pytest.mark.brian

CONFTEST = """
from brian2_harness.check import script
from brian2_harness.devices import UNAVAILABLE

real_probe = script.probe


def probe(device):
    if device == "cython":
        return UNAVAILABLE, "made unavailable by the test project's conftest"
    return real_probe(device)


script.probe = probe
"""
MODEL = ("from brian2 import *\nG = NeuronGroup(2, 'v : 1')\nG.v = 'i'\nM = StateMonitor(G, 'v', record=True)\n"
         "run(1*ms)\n")
TESTS = """
import pytest

@pytest.mark.brian2_devices("numpy", "cython")
def test_optional(brian2_check):
    brian2_check("model.py")

@pytest.mark.brian2_devices("numpy", "cython", require=["cython"])
def test_required(brian2_check):
    brian2_check("model.py")
"""


def test_a_required_device_that_cannot_run_fails_and_an_optional_one_skips(pytester):
    pytester.makeconftest(CONFTEST)
    pytester.makepyfile(model=MODEL, test_models=TESTS)
    result = pytester.runpytest_subprocess("-rA", "-p", "no:randomly")
    result.assert_outcomes(passed=2, skipped=1, failed=1)
    result.stdout.fnmatch_lines_random([
        "*SKIPPED*cython*made unavailable*",
        "*cython is required but did not run*made unavailable*"])
    # the command-line option makes the optional one required too
    result = pytester.runpytest_subprocess("-rA", "-p", "no:randomly", "--brian2-require", "cython")
    result.assert_outcomes(passed=2, failed=2)


def _cuda_probe():
    from brian2_harness.devices import get_device
    return get_device("cuda_standalone").probe()


@pytest.mark.cuda_build
@pytest.mark.skipif(_cuda_probe().mode == "unavailable", reason=f"cuda_standalone: {_cuda_probe().reason}")
def test_check_builds_cuda_standalone_without_a_gpu_and_require_fails_it(tmp_path, capsys):
    """`check --devices numpy,cuda_standalone`: built (never a pass) without a GPU, compared on a GPU; with
    --require cuda_standalone a build without a run fails the script. The second run reuses the build."""
    import json

    from brian2_harness.cli import main
    script = tmp_path / "tiny_cuda.py"
    script.write_text(MODEL)
    docs = {}
    for name, extra in (("plain", []), ("required", ["--require", "cuda_standalone"])):
        out = tmp_path / f"{name}.json"
        rc = main(["check", str(script), "--devices", "numpy,cuda_standalone", *extra, "--quiet", "--json", str(out),
                   "--timeout", "1800"])       # the check cache: warm on a rerun
        docs[name] = rc, json.loads(out.read_text())["scripts"][0]
    (rc, plain), (rc_required, required) = docs["plain"], docs["required"]
    if _cuda_probe().mode == "build":
        assert plain["verdict"] == "built" and plain["devices"]["cuda_standalone"]["verdict"] == "built"
        assert "built, not run" in plain["devices"]["cuda_standalone"]["reason"] and rc == 1   # nothing compared
        assert rc_required == 1 and required["verdict"] == "fail"
        assert required["required_missing"] == ["cuda_standalone"]
        assert "built, not run" in required["devices"]["cuda_standalone"]["reason"]
    else:
        assert rc == rc_required == 0 and plain["devices"]["cuda_standalone"]["verdict"] == "agree", plain
