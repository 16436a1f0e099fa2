"""CLI contract: usage errors exit 2 with one line, no traceback; `list --json` keys."""
import json

import pytest

from brian2_harness.cli import main


@pytest.mark.parametrize("argv, words", [
    (["run", "--variants", "nope"], "unknown variant 'nope'"),
    (["run", "--devices", "tpu"], "unknown device 'tpu'; known devices: numpy"),
    (["run", "--dtype", "float16"], "--dtype: 'float16' is not one of float64, float32"),
    (["run", "--cases", "-1"], "--cases must be >= 0"),
    (["run", "--cases", "0"], "no cases"),
    (["run", "--timeout", "0"], "--timeout must be > 0"),
    (["run", "--require", "cython", "--devices", "numpy"], "not among --devices"),
    (["run", "--schedule", "1,2"], "--schedule must be"),
    (["run", "--schedule", "0.0001,1.0,2.5"], "case field 'duration'"),
    (["run", "--plugin", "/no/such/file.py"], "does not exist"),
    (["run", "--case-file", "/no/such/cases.json"], "No such file"),
    (["frobnicate"], "invalid choice"),
    (["run", "--cases", "x"], "invalid int value"),
    (["run", "--against", "sideways"], ("--against: 'sideways' is no family's oracle semantics (known: aligned, "
                                        "lagged, ordered)")),
    (["corpus", "--family-cases", "nope=3", "--out", "x.json"], "--family-cases: 'nope' is not a family with cases"),
    (["corpus", "--family-cases", "growth", "--out", "x.json"], "--family-cases: expected FAMILY=N"),
    (["corpus", "--cases", "-1", "--out", "x.json"], "--cases / --family-cases must be >= 0"),
    (["bench", "--cases", "10,x"], "--cases: expected comma-separated whole numbers"),
])
def test_usage_errors(argv, words, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert words in err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1


def test_corrupt_case_file(tmp_path, capsys):
    bad = tmp_path / "cases.json"
    bad.write_text('[{"n_pre": 1, "n_post": 1, "i": [0], "j": [3], "w0": [0.1]}]')
    assert main(["run", "--case-file", str(bad)]) == 2
    assert "case 0: case field 'j': index 3 at position 0 is out of range [0, 0]" in capsys.readouterr().err
    bad.write_text("[{")
    assert main(["run", "--case-file", str(bad)]) == 2
    assert "not valid JSON" in capsys.readouterr().err


def test_resource_limits_are_named_before_anything_runs(tmp_path, capsys):
    big = tmp_path / "big.json"
    n = 3000
    big.write_text(json.dumps([{"n_pre": 1, "n_post": 1, "i": [0] * n, "j": [0] * n, "w0": [0.1] * n}]))
    assert main(["run", "--case-file", str(big), "--max-synapses", "1000"]) == 2
    assert "3000 synapses exceed the limit --max-synapses=1000" in capsys.readouterr().err
    assert main(["run", "--case-file", str(big), "--max-memory-mb", "0.01"]) == 2
    assert "exceeds the limit --max-memory-mb=0.01" in capsys.readouterr().err


def test_debug_shows_traceback():
    with pytest.raises(Exception, match="unknown device"):
        main(["--debug", "run", "--devices", "tpu"])


def test_list_json(capsys):
    assert main(["list", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    v = {x["name"]: x for x in doc["variants"]}
    assert {"name", "family", "devices", "semantics"} <= set(v["summed_seed"])
    d = {x["name"]: x for x in doc["devices"]}
    assert {"numpy", "cython", "cpp_standalone", "cpp_standalone_omp"} <= set(d)
    assert all(x["mode"] in ("run", "build", "unavailable") and x["reason"] for x in d.values())


def test_build_parser_has_every_command_and_nothing_else():
    """The docs' command-line reference comes from `build_parser()`: it must know each command `main` runs."""
    import argparse

    from brian2_harness.cli import COMMANDS, build_parser
    sub = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    assert set(sub.choices) == set(COMMANDS)
    assert {"list", "run", "check", "report", "junit", "merge", "corpus", "record", "compare",
            "history"} <= set(COMMANDS)


def test_corpus_counts_come_from_the_families(tmp_path):
    from brian2_harness.families import all_families
    from brian2_harness.upgrade.corpus import case_counts
    own = {f.name: f.corpus_size for f in all_families() if f.has_cases}
    assert case_counts(None, {}) == own
    assert case_counts(3, {}) == {name: 3 for name in own}
    assert case_counts(3, {"metaplastic": 1}) == {**{name: 3 for name in own}, "metaplastic": 1}
    assert case_counts(0, {}, meta_cases=2) == {"growth": 0, **{n: 2 for n in own if n != "growth"}}   # old option


def test_a_variant_without_a_family_joins_the_default_family():
    from brian2_harness import registry
    from brian2_harness.families import default_family
    v = registry.register("test_no_family", build=lambda net: None, semantics="aligned")
    try:
        assert v.family == default_family().name == "growth"
    finally:
        registry._REGISTRY.pop(v.name)


def test_a_reader_that_goes_away_ends_no_command_in_a_traceback(tmp_path):
    """`brian2-harness ... | head`: the output is dropped once the pipe is closed; what goes to files is still
    written, and the exit status is the command's (negative control: a plain print dies with BrokenPipeError)."""
    import subprocess
    import sys
    cmd = [sys.executable, "-c", "import time, sys\ntime.sleep(1)\nprint('x' * 100000)\nsys.stdout.flush()"]
    control = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    control.stdout.close()
    assert "BrokenPipeError" in control.communicate(timeout=60)[1].decode()
    code = ("import sys, time\nfrom brian2_harness import cli\ncli.main = lambda: (time.sleep(1), "
            "print('x' * 100000), open(sys.argv[1], 'w').write('done'), 3)[-1]\nsys.exit(cli.entry())")
    out = tmp_path / "out.txt"
    proc = subprocess.Popen([sys.executable, "-c", code, str(out)], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    proc.stdout.close()
    err = proc.communicate(timeout=60)[1].decode()
    assert proc.returncode == 3 and err == "" and out.read_text() == "done"
