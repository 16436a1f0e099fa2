"""`check --record` / `--against` and the plugin's baseline options with Brian itself (numpy and cython).

Run by the hist-brian2.* envs of tox.ini (HIST_BRIAN2 set), under every Brian2 release; skipped elsewhere so that
the 2-core suite stays fast (tests/test_script_baseline.py covers the same logic without Brian)."""
import os
import textwrap

import numpy as np
import pytest

from brian2_harness.cli import main

pytestmark = [pytest.mark.brian, pytest.mark.skipif(not os.environ.get("HIST_BRIAN2"),
                                                    reason="runs in the hist-brian2.* envs of tox.ini")]
pytest_plugins = ["pytester"]
MODEL = textwrap.dedent("""
    from brian2 import NeuronGroup, SpikeMonitor, StateMonitor, ms, run
    G = NeuronGroup(3, "dv/dt = (1.5 - v) / (10*ms) : 1", threshold="v > 1", reset="v = 0", method="exact")
    G.v = "i / 3.0"
    spikes = SpikeMonitor(G)
    trace = StateMonitor(G, "v", record=True)
    run(20 * ms)
""")


def test_record_against_and_a_tampered_baseline(tmp_path, capsys):
    script, base = tmp_path / "model.py", tmp_path / "base"
    script.write_text(MODEL)
    assert main(["check", str(script), "--devices", "numpy,cython", "--record", str(base), "--quiet"]) == 0
    assert main(["check", str(script), "--against", str(base), "--quiet"]) == 0
    assert "against the baseline: AGREE" in capsys.readouterr().out
    npz = base / "model" / "numpy" / "seed-0" / "observables.npz"
    with np.load(npz) as data:
        arrays = dict(data)
    key = next(k for k in arrays if k.endswith("_values"))
    arrays[key] = arrays[key] * 1.001
    np.savez(npz, **arrays)
    assert main(["check", str(script), "--against", str(base), "--quiet"]) == 1
    out = capsys.readouterr().out
    assert "against the baseline: FAIL" in out and "trace.v" in out and "first at index" in out


def test_plugin_baseline_with_brian(pytester):
    pytester.makepyfile(model=MODEL, test_model="""
        import pytest

        @pytest.mark.brian2_devices("numpy", "cython")
        def test_model(brian2_check):
            brian2_check("model.py")
    """)
    opts = ["-p", "no:cacheprovider", "--brian2-baseline", str(pytester.path / "base")]
    pytester.runpytest_subprocess(*opts, "--brian2-regen").assert_outcomes(passed=2)
    pytester.runpytest_subprocess(*opts).assert_outcomes(passed=2)
    (pytester.path / "model.py").write_text(MODEL.replace("1.5 - v", "1.6 - v"))
    changed = pytester.runpytest_subprocess(*opts)
    changed.assert_outcomes(failed=2)
    assert "against the baseline" in changed.stdout.str() and "trace.v" in changed.stdout.str()
