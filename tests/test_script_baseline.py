"""`check --record/--against` and the plugin's `--brian2-baseline/--brian2-regen`, with a stand-in for the device
processes (no Brian run): the stand-in reads `GAIN = x` from the script, so an edited script is a changed result."""
import json
import re
from pathlib import Path

import numpy as np
import pytest

from brian2_harness.check import against, pytest_plugin, records
from brian2_harness.check.script import OK, DeviceRun, SeedRun
from brian2_harness.check.stats import run_statistics
from brian2_harness.cli import check as check_command
from brian2_harness.cli import main

pytest_plugins = ["pytester"]
SCRIPT = "GAIN = 1.0\nOFFSET = {'numpy': 0.0, 'cython': 0.0}\n"


def fake_run_device(script, device, seeds, **kwargs):
    """Observables computed from the script's text: v = GAIN * t (+ OFFSET[device]), spikes at fixed times."""
    text = Path(script).read_text()
    gain = float(re.search(r"GAIN = ([0-9.eE+-]+)", text).group(1))
    offsets = eval(re.search(r"OFFSET = (\{.*\})", text).group(1))
    t = np.arange(10) * 1e-4
    v = np.vstack([gain * t + offsets.get(device, 0.0), 2 * gain * t])
    obs = {"statemonitor.v": {"kind": "state", "dt": 1e-4, "unit": "V", "N": None,
                              "arrays": {"t": t, "values": v, "indices": np.arange(2)}},
           "spikemonitor": {"kind": "spikes", "dt": 1e-4, "unit": "s", "N": 2,
                            "arrays": {"i": np.array([0, 1]), "t": np.array([2e-4, 5e-4])}}}
    runs = [SeedRun(s, OK, "", obs, {"t_end": 1e-3, "notes": []}, statistics=run_statistics(obs, 1e-3))
            for s in seeds]
    return DeviceRun(device, OK, "", runs, 0.01)


@pytest.fixture
def fake_devices(monkeypatch):
    monkeypatch.setattr(check_command, "run_device", fake_run_device)      # the command's runner
    real_cached = pytest_plugin.cached_runner
    monkeypatch.setattr(pytest_plugin, "cached_runner", lambda folder, run=None: real_cached(folder, fake_run_device))


def _script(tmp_path, text=SCRIPT) -> Path:
    path = tmp_path / "model.py"
    path.write_text(text)
    return path


def test_record_then_against_passes_and_stores_the_environment(tmp_path, fake_devices, capsys):
    script, base = _script(tmp_path), tmp_path / "base"
    assert main(["check", str(script), "--devices", "numpy,cython", "--record", str(base), "--quiet"]) == 0
    head = json.loads((base / "model" / "cython" / "record.json").read_text())
    assert {"brian2", "numpy", "python", "cython", "compiler"} <= set(head["environment"])
    assert head["options"]["devices"] == ["numpy", "cython"] and head["seeds"] == [0] and head["verdict"] == "agree"
    assert main(["check", str(script), "--against", str(base), "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "against the baseline: AGREE" in out


def test_a_tampered_baseline_fails_with_the_observable_index_and_time(tmp_path, fake_devices, capsys):
    script, base = _script(tmp_path), tmp_path / "base"
    assert main(["check", str(script), "--devices", "numpy,cython", "--record", str(base), "--quiet"]) == 0
    npz = base / "model" / "cython" / "seed-0" / "observables.npz"
    with np.load(npz) as data:
        arrays = dict(data)
    key = next(k for k in arrays if k.endswith("_values"))
    arrays[key][1, 4] += 1e-3                                  # index 1 at t = 0.4 ms
    np.savez(npz, **arrays)
    assert main(["check", str(script), "--against", str(base), "--quiet"]) == 1
    out = capsys.readouterr().out
    assert "against the baseline: FAIL" in out
    assert "statemonitor.v" in out and "first at index 1, t = 0.4 ms" in out
    assert "which side moved: moved, still agreeing with numpy" in out  # both sides agree with numpy


def test_a_device_that_moves_away_is_named_and_every_device_moving_is_told_apart(tmp_path, fake_devices, capsys):
    script, base = _script(tmp_path), tmp_path / "base"
    assert main(["check", str(script), "--devices", "numpy,cython", "--record", str(base), "--quiet"]) == 0
    script.write_text(SCRIPT.replace("'cython': 0.0", "'cython': 0.5"))           # cython alone changes
    assert main(["check", str(script), "--against", str(base), "--quiet"]) == 1
    out = capsys.readouterr().out
    assert "cython" in out and "now moved away from the other devices" in out
    assert "the script's text differs from the recorded one" in out
    script.write_text(SCRIPT.replace("GAIN = 1.0", "GAIN = 2.0"))                 # every device changes alike
    assert main(["check", str(script), "--against", str(base), "--quiet"]) == 1
    out = capsys.readouterr().out
    assert "moved together with the other devices" in out
    script.write_text(SCRIPT.replace("{'numpy': 0.0, 'cython': 0.0}", "{'numpy': 0.5, 'cython': 0.7}"))
    assert main(["check", str(script), "--against", str(base), "--quiet"]) == 1   # both move, apart
    out = capsys.readouterr().out
    assert "moved, as did cython; the devices agreed with each other in the baseline and no longer do" in out


def test_against_without_a_record_is_a_usage_error(tmp_path, fake_devices, capsys):
    assert main(["check", str(_script(tmp_path)), "--against", str(tmp_path / "nothing")]) == 2
    assert "--against" in capsys.readouterr().err
    assert main(["check", str(_script(tmp_path)), "--record", "a", "--against", "b"]) == 2


def test_statistical_records_compare_statistically(tmp_path):
    """Stat mode: per-seed statistics survive the round trip and a shifted mean is flagged, a resample is not."""
    rng = np.random.default_rng(1)

    def record(shift):
        runs = []
        for s in range(8):
            v = rng.normal(1.0 + shift, 0.1, size=(4, 50))
            obs = {"m.v": {"kind": "state", "dt": 1e-4, "unit": "V", "N": None,
                           "arrays": {"t": np.arange(50) * 1e-4, "values": v, "indices": np.arange(4)}}}
            runs.append(records.SeedRecord(s, {}, run_statistics(obs, 5e-3)))
        return records.DeviceRecord("m.py", "numpy", "ok", "", "reference", "", "numpy", "stat", 5e-3,
                                    {"brian2": "x"}, {}, "", runs)
    folder = records.save(record(0.0), tmp_path)
    base = records.load(folder)
    assert isinstance(base.runs[0].statistics["m.v: mean"][1], float)
    assert against.compare_device(base, record(0.0)).verdict == against.AGREE_STAT
    res = against.compare_device(base, record(0.5))
    assert res.verdict == against.FAIL and "m.v" in res.reason


def test_plugin_records_then_compares_and_names_the_observable(pytester, fake_devices):
    pytester.makepyfile(model=SCRIPT, test_model="""
        import pytest

        @pytest.mark.brian2_devices("numpy", "cython")
        def test_model(brian2_check):
            brian2_check("model.py")
    """)
    base = pytester.path / "base"
    first = pytester.runpytest_inprocess("-p", "no:cacheprovider", "--brian2-baseline", str(base))
    first.assert_outcomes(failed=2)                         # no baseline yet: recorded, the item fails once
    assert "recorded it now" in first.stdout.str()
    pytester.runpytest_inprocess("-p", "no:cacheprovider", "--brian2-baseline", str(base)).assert_outcomes(passed=2)
    (pytester.path / "model.py").write_text(SCRIPT.replace("GAIN = 1.0", "GAIN = 1.5"))
    changed = pytester.runpytest_inprocess("-p", "no:cacheprovider", "--brian2-baseline", str(base))
    changed.assert_outcomes(failed=2)
    assert "against the baseline" in changed.stdout.str() and "statemonitor.v" in changed.stdout.str()
    regen = pytester.runpytest_inprocess("-p", "no:cacheprovider", "--brian2-baseline", str(base), "--brian2-regen")
    regen.assert_outcomes(passed=2)
    pytester.runpytest_inprocess("-p", "no:cacheprovider", "--brian2-baseline", str(base)).assert_outcomes(passed=2)


def test_history_of_script_records_names_the_step_and_the_change(tmp_path, fake_devices, monkeypatch, capsys):
    """Three folders recorded under three (stand-in) Brian2 versions: the step where cython moved is named."""
    script = _script(tmp_path)
    versions = {"2.5.4": SCRIPT, "2.6.0": SCRIPT.replace("'cython': 0.0", "'cython': 0.5"), "2.7.1": SCRIPT}
    for version, text in versions.items():
        script.write_text(text)
        monkeypatch.setattr(records, "environment", lambda v=version: {"brian2": v, "numpy": "1.26.4",
                                                                       "python": "3.11", "cython": "0.29"})
        assert main(["check", str(script), "--devices", "numpy,cython", "--record",
                     str(tmp_path / f"scripts-{version}"), "--quiet"]) in (0, 1)
    capsys.readouterr()
    folders = [str(tmp_path / f"scripts-{v}") for v in ("2.7.1", "2.5.4", "2.6.0")]      # any order
    assert main(["history", *folders, "--markdown", str(tmp_path / "h.md")]) == 0
    text = (tmp_path / "h.md").read_text()
    assert "2.5.4 (numpy 1.26.4) → 2.6.0 (numpy 1.26.4)" in text and "brian2 2.5.4 -> 2.6.0" in text
    step1 = text.split("### 2.5.4")[1].split("###")[0]
    assert "| model | cython | newly disagreeing |" in step1
    step2 = text.split("### 2.6.0")[1]
    assert "| model | cython |" in step2 and "numpy | identical" not in step2


def test_history_reads_the_runs_of_one_script_x_device_at_a_time(tmp_path, fake_devices, monkeypatch):
    """A release's records of all examples do not fit in memory at once (Maass 2002's is 15 GB): history keeps the
    heads of all and the runs of the pair it compares. Control: every record's runs are read, once per side."""
    import gc
    import weakref

    from brian2_harness.upgrade import script_history
    for k in range(3):
        (tmp_path / f"m{k}.py").write_text(SCRIPT)
    for version in ("2.5.4", "2.6.0"):
        monkeypatch.setattr(records, "environment", lambda v=version: {"brian2": v, "numpy": "1.26.4",
                                                                       "python": "3.11", "cython": "0.29"})
        assert main(["check", *(str(tmp_path / f"m{k}.py") for k in range(3)), "--devices", "numpy,cython",
                     "--record", str(tmp_path / f"r-{version}"), "--quiet"]) in (0, 1)
    folders, _ = script_history.load_folders([tmp_path / "r-2.5.4", tmp_path / "r-2.6.0"])
    assert all(not r.runs for f in folders for r in f["records"].values())      # heads only
    alive, loaded, load = [], [], records.load

    def counted(folder):
        record = load(folder)
        loaded.append(folder)
        gc.collect()
        alive.append(sum(ref() is not None for ref in refs))
        refs.append(weakref.ref(record.runs[0]))
        return record
    refs: list = []
    monkeypatch.setattr(records, "load", counted)
    doc = script_history.history_document(folders, [])
    assert len(loaded) == 12 and len(doc["steps"][0]["rows"]) == 6
    assert max(alive) <= 1          # when one is read, at most the other side of its pair is still held


def test_observables_on_one_side_are_named_by_side(tmp_path):
    obs = {"a": {"kind": "value", "dt": None, "unit": "", "N": None, "arrays": {"values": np.ones(3)}}}
    def rec(o):
        return records.DeviceRecord("m.py", "numpy", "ok", "", "reference", "", "numpy", "exact", 1e-3, {}, {}, "",
                                    [records.SeedRecord(0, o, {})])
    res = against.compare_device(rec({"a": obs["a"]}), rec({"b": obs["a"]}))
    assert res.verdict == against.FAIL and "only in the baseline: a" in res.reason and "only now: b" in res.reason


def test_a_device_judged_exactly_in_a_mixed_check_is_compared_exactly_against_its_baseline():
    """In a mixed-mode check (the script draws random numbers) a device on the reference's random stream keeps one
    run while the record's mode is "mixed": its baseline comparison is exact at that seed (it said "needs >= 2 runs"
    and compared nothing); a changed value fails; without observables (statistics only) nothing is compared
    exactly."""
    obs = {"a": {"kind": "value", "dt": None, "unit": "", "N": None, "arrays": {"values": np.ones(3)}}}
    changed = {"a": dict(obs["a"], arrays={"values": np.array([1.0, 1.0, 1.5])})}

    def rec(o, seed=0, mode="mixed"):
        return records.DeviceRecord("m.py", "cpp_standalone", "ok", "", "agree", "", "numpy", mode, 1e-3, {}, {},
                                    "", [records.SeedRecord(seed, o, {})])
    assert against.compare_device(rec(obs), rec(obs)).verdict == against.AGREE
    res = against.compare_device(rec(obs), rec(changed))
    assert res.verdict == against.FAIL and "a" in res.reason
    assert against.compare_device(rec(obs), rec(obs, seed=7)).verdict == against.ERROR      # no common seed
    assert against.compare_device(rec({}), rec({})).verdict == against.ERROR                 # nothing to compare


def test_a_baseline_that_took_imports_as_results_is_compared_on_what_the_script_made(tmp_path):
    """Records written before `collect.COLLECTED` 2 took the names `from brian2 import *` binds as a monitor-less
    script's results (globals.mV, globals.DEFAULT_UNITS.*): against such a baseline those are left out, said in the
    reason, instead of failing as "only in the baseline"; a record of today keeps the strict comparison."""
    value = {"kind": "value", "dt": None, "unit": "", "N": None, "arrays": {"values": np.ones(3)}}
    old_obs = {"globals.v": value, "globals.mV": value, "globals.DEFAULT_UNITS.Eamp": value}

    def rec(o, collected=records.DeviceRecord.collected):
        return records.DeviceRecord("m.py", "numpy", "ok", "", "reference", "", "numpy", "exact", 1e-3, {}, {}, "",
                                    [records.SeedRecord(0, o, {})], collected=collected)
    res = against.compare_device(rec(old_obs, collected=1), rec({"globals.v": value}))
    assert res.verdict == against.AGREE and "2 module-level name(s) of the baseline left out" in res.reason
    changed = {"globals.v": dict(value, arrays={"values": np.array([1.0, 1.0, 2.0])})}
    assert against.compare_device(rec(old_obs, collected=1), rec(changed)).verdict == against.FAIL
    # control: a baseline of today's collection that holds more is a difference
    res = against.compare_device(rec(old_obs), rec({"globals.v": value}))
    assert res.verdict == against.FAIL and "only in the baseline: globals.DEFAULT_UNITS.Eamp, globals.mV" in res.reason
    # a record written today says what it collected; one without the field is read as the old collection
    rec_now = rec({"globals.v": value})
    folder = records.save(rec_now, tmp_path / "base", "m")
    head = json.loads((folder / "record.json").read_text())
    assert head["collected"] == records.DeviceRecord.collected >= 2
    del head["collected"]
    (folder / "record.json").write_text(json.dumps(head))
    assert records.load(folder).collected == 1
