"""`check` in its default mode on a stochastic plastic network (models/scripts/lif_poisson_stdp.py: 100 Poisson
inputs, 100 LIF neurons, pair STDP): numpy and cpp_standalone draw the same random numbers, so the pair is judged
exactly and a bug on cpp_standalone only is a failure (exit 1); the unmodified model passes. A script that reads
a file next to it runs unmodified; a misspelled --observe is a usage error (exit 2) that lists the names.

Kept short: every run() is capped at 50 ms; the numpy reference and its noise-floor run are computed once.
"""
import json
import os
import threading

import pytest

from brian2_harness.check.script import run_device
from brian2_harness.check.verdict import check

pytestmark = pytest.mark.brian

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MODEL = os.path.join(ROOT, "models", "scripts", "lif_poisson_stdp.py")
BUGS = {"taupre 20 -> 21 ms": ("taupre = 20 * ms", "taupre = 21 * ms"),
        "STDP amplitudes x 1.05": ("dApre = 0.01 * w_max", "dApre = 0.0105 * w_max"),
        "taum 10 -> 10.1 ms": ("taum = 10 * ms", "taum = 10.1 * ms")}
_CACHE: dict = {}
_LOCK = threading.Lock()


def cached_runner(script, device, seeds, **kwargs):
    """The unmodified model's numpy runs are the same for every bug: computed once per session."""
    key = (script, device, tuple(seeds), kwargs.get("perturb", False), kwargs.get("stat", False))
    if script != MODEL:
        return run_device(script, device, seeds, **kwargs)
    with _LOCK:
        if key not in _CACHE:
            _CACHE[key] = run_device(script, device, seeds, **kwargs)
        return _CACHE[key]


def test_unmodified_stochastic_model_agrees_exactly_on_the_shared_stream(tmp_path, capsys):
    from brian2_harness.cli import main
    out = tmp_path / "r.json"
    rc = main(["check", MODEL, "--devices", "numpy,cpp_standalone", "--duration-cap", "50ms", "--json", str(out),
               "--quiet"])
    doc = json.loads(out.read_text())["scripts"][0]
    printed = capsys.readouterr().out
    assert rc == 0, printed
    assert doc["verdict"] == "agree" and doc["pairs"]["cpp_standalone"]["mode"] == "exact"
    assert doc["pairs"]["cpp_standalone"]["same_stream"] is True
    assert "judged exact" in printed and "same random stream" in printed
    assert "output of the script on numpy:" in printed


def test_bugs_on_cpp_standalone_only_fail_in_the_default_mode(tmp_path, capsys):
    from brian2_harness.cli import main
    text = open(MODEL).read()
    scripts = {}
    for name, (old, new) in BUGS.items():
        assert text.count(old) == 1, old
        folder = tmp_path / name.split()[0].replace(".", "")
        folder.mkdir()
        scripts[name] = folder / "lif_poisson_stdp.py"
        scripts[name].write_text(text.replace(old, new))
    first = next(iter(BUGS))
    rc = main(["check", MODEL, "--devices", "numpy,cpp_standalone", "--duration-cap", "50ms", "--quiet",
               "--script-for", f"cpp_standalone={scripts[first]}"])
    printed = capsys.readouterr().out
    assert rc == 1 and "FAIL" in printed and "more than rounding" in printed, printed
    for name in list(BUGS)[1:]:
        r = check(MODEL, ["numpy", "cpp_standalone"], cap=0.05, runner=cached_runner,
                  script_for={"cpp_standalone": str(scripts[name])})
        assert r.verdict == "fail", (name, r.reason)
        assert r.pairs["cpp_standalone"].mode == "exact+floor" and "w_final" in r.reason, (name, r.reason)


def test_a_script_reading_a_file_next_to_it_runs_unmodified_and_observe_typos_exit_2(tmp_path, capsys):
    from brian2_harness.cli import main
    (tmp_path / "params.json").write_text('{"duration_ms": 5}')
    script = tmp_path / "reads_params.py"
    script.write_text("import json\nfrom brian2 import *\nparams = json.load(open('params.json'))\n"
                      "G = NeuronGroup(4, 'dv/dt = (1.2 - v) / (10*ms) : 1', threshold='v > 1', reset='v = 0',\n"
                      "                method='exact')\nG.v = 'i / 4.0'\ntrace = StateMonitor(G, 'v', record=True)\n"
                      "run(params['duration_ms'] * ms)\nv_end = G.v[:]\nopen('out.txt', 'w').write(str(v_end))\n")
    out = tmp_path / "r.json"
    rc = main(["check", str(script), "--devices", "numpy,cpp_standalone", "--json", str(out), "--quiet"])
    doc = json.loads(out.read_text())["scripts"][0]
    assert rc == 0, capsys.readouterr().out
    assert "trace.v" in str(doc) and not (tmp_path / "out.txt").exists()     # the script's names; writes stay apart
    assert any("out.txt" in n for n in doc["notes"])
    rc = main(["check", str(script), "--devices", "numpy,cpp_standalone", "--observe", "trace.v,trcae", "--quiet"])
    err = capsys.readouterr().err
    assert rc == 2 and "trcae" in err and "trace.v" in err and "v_end" in err
