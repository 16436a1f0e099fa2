"""`check --record DIR` never leaves half a baseline, never deletes what it did not write, keeps two scripts of one
stem apart, does not replace a good baseline with an error record unless told, and refuses a symlinked device folder
before the run. Device runs are a stand-in (no Brian): v = GAIN * t, and a device listed in ERRORS errors."""
import json
import os
import re
from pathlib import Path

import numpy as np
import pytest

from brian2_harness.check import collect, records
from brian2_harness.check.script import ERROR, OK, DeviceRun, SeedRun
from brian2_harness.check.stats import run_statistics
from brian2_harness.cli import check as check_command
from brian2_harness.cli import main

SCRIPT = "GAIN = 1.0\nERRORS = []\n"
CALLS = []


def fake_run_device(script, device, seeds, **kwargs):
    CALLS.append(device)
    text = Path(script).read_text()
    gain = float(re.search(r"GAIN = ([0-9.eE+-]+)", text).group(1))
    if device in eval(re.search(r"ERRORS = (\[.*\])", text).group(1)):
        return DeviceRun(device, ERROR, "RuntimeError: broken", [SeedRun(s, ERROR, "broken", {}, {}) for s in seeds],
                         0.01)
    t = np.arange(10) * 1e-4
    obs = {"statemonitor.v": {"kind": "state", "dt": 1e-4, "unit": "V", "N": None,
                              "arrays": {"t": t, "values": np.vstack([gain * t, 2 * gain * t]),
                                         "indices": np.arange(2)}}}
    runs = [SeedRun(s, OK, "", obs, {"t_end": 1e-3, "notes": []}, statistics=run_statistics(obs, 1e-3))
            for s in seeds]
    return DeviceRun(device, OK, "", runs, 0.01)


@pytest.fixture
def fake_devices(monkeypatch):
    CALLS.clear()
    monkeypatch.setattr(check_command, "run_device", fake_run_device)      # the command's runner


def _script(folder: Path, text=SCRIPT, name="model.py") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text)
    return path


def _record(script, base, *extra) -> int:
    return main(["check", *map(str, script if isinstance(script, list) else [script]), "--devices", "numpy,cython",
                 "--record", str(base), "--quiet", *extra])


def _gain(folder: Path) -> float:
    """GAIN of a recorded device (from its values: v[0] = GAIN * t)."""
    obs = records.load(folder).runs[0].observables["statemonitor.v"]["arrays"]
    return float(obs["values"][0, 1] / obs["t"][1])


def test_a_stop_while_saving_leaves_the_previous_baseline_whole(tmp_path, fake_devices, monkeypatch):
    script, base = _script(tmp_path), tmp_path / "base"
    assert _record(script, base) == 0
    script.write_text(SCRIPT.replace("GAIN = 1.0", "GAIN = 2.0"))
    real_save, saved = collect.save, []

    def stop_on_second(folder, observables, meta):
        saved.append(folder)
        if len(saved) == 2:
            raise KeyboardInterrupt          # SIGINT while the second device is being written
        real_save(folder, observables, meta)
    monkeypatch.setattr(collect, "save", stop_on_second)
    assert _record(script, base) == 1                                       # "brian2-harness: interrupted"
    assert len(saved) == 2                                                   # the stop did hit mid-save
    assert [_gain(base / "model" / d) for d in ("numpy", "cython")] == [1.0, 1.0]   # all previous, none new
    assert sorted(os.listdir(base)) == ["model"]                             # nothing half-written left
    monkeypatch.setattr(collect, "save", real_save)                          # control: an unstopped save replaces
    assert _record(script, base) == 0
    assert [_gain(base / "model" / d) for d in ("numpy", "cython")] == [2.0, 2.0]


def test_a_stop_during_the_first_record_leaves_nothing_against_accepts(tmp_path, fake_devices, monkeypatch, capsys):
    script, base = _script(tmp_path), tmp_path / "base"
    real_save = collect.save
    monkeypatch.setattr(collect, "save", lambda *a: (_ for _ in ()).throw(KeyboardInterrupt))
    assert _record(script, base) == 1
    assert "interrupted" in capsys.readouterr().err
    monkeypatch.setattr(collect, "save", real_save)
    assert os.listdir(base) == []
    assert main(["check", str(script), "--against", str(base), "--quiet"]) == 2
    assert "no record of model" in capsys.readouterr().err


def test_a_users_file_in_the_baseline_folder_survives(tmp_path, fake_devices, capsys):
    script, base = _script(tmp_path), tmp_path / "base"
    assert _record(script, base) == 0
    mine = base / "model" / "numpy" / "notes.txt"
    mine.write_text("my notes")
    CALLS.clear()
    assert _record(script, base) == 2
    err = capsys.readouterr().err
    assert "notes.txt was not written by brian2-harness" in err and CALLS == []      # refused before the run
    assert mine.read_text() == "my notes"
    mine.unlink()                                                                   # control: without it, records
    assert _record(script, base) == 0 and CALLS


def test_two_scripts_of_one_stem_get_two_baselines(tmp_path, fake_devices, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    a = _script(Path("a"))
    b = _script(Path("b"), SCRIPT.replace("GAIN = 1.0", "GAIN = 3.0"))
    assert _record([a, b], "B") == 0
    found = records.find("B")
    assert len({k for k, _ in found}) == 2                                   # two keys, not one overwritten
    assert sorted({_gain(f) for f in found.values()}) == [1.0, 3.0]
    assert main(["check", str(a), "--against", "B", "--quiet"]) == 0
    assert main(["check", str(b), "--against", "B", "--quiet"]) == 0
    b.write_text(SCRIPT)                                                     # control: b changes, a does not
    assert main(["check", str(b), "--against", "B", "--quiet"]) == 1
    assert main(["check", str(a), "--against", "B", "--quiet"]) == 0


def test_a_baseline_of_the_old_layout_stays_readable(tmp_path, fake_devices):
    script, base = _script(tmp_path), tmp_path / "base"
    assert _record(script, base) == 0
    for d in ("numpy", "cython"):                          # as written before records named their script
        path = base / "model" / d / "record.json"
        head = json.loads(path.read_text())
        del head["source"]
        path.write_text(json.dumps(head))
    assert main(["check", str(script), "--against", str(base), "--quiet"]) == 0
    script.write_text(SCRIPT.replace("GAIN = 1.0", "GAIN = 2.0"))          # control: it is really compared
    assert main(["check", str(script), "--against", str(base), "--quiet"]) == 1


def test_a_good_baseline_is_not_replaced_by_an_error_record_unless_told(tmp_path, fake_devices, capsys):
    script, base = _script(tmp_path), tmp_path / "base"
    assert _record(script, base) == 0
    script.write_text(SCRIPT.replace("ERRORS = []", "ERRORS = ['cython']"))
    assert _record(script, base) == 1
    out = capsys.readouterr().out
    assert "not replacing the good baseline" in out and "cython (error" in out and "--record-errors" in out
    assert records.load(base / "model" / "cython").status == "ok"
    assert _record(script, base, "--record-errors") == 1                     # the check itself still fails
    assert records.load(base / "model" / "cython").status == "error"         # control: told, it is replaced


def test_record_errors_needs_record(tmp_path, fake_devices, capsys):
    assert main(["check", str(_script(tmp_path)), "--record-errors"]) == 2
    assert "--record-errors: only with --record" in capsys.readouterr().err


@pytest.mark.parametrize("where", ["model/numpy", "model"])
def test_a_symlinked_baseline_folder_is_refused_before_the_run(tmp_path, fake_devices, capsys, where):
    script, base, elsewhere = _script(tmp_path), tmp_path / "base", tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "keep.txt").write_text("x")
    link = base / where
    link.parent.mkdir(parents=True)
    link.symlink_to(elsewhere)
    assert _record(script, base) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "is a symlink" in err and "Traceback" not in err
    assert CALLS == []                                                        # before the run
    assert os.listdir(elsewhere) == ["keep.txt"]
    assert not [n for n in os.listdir(base) if n.startswith(".")]            # nothing left in temp
    link.unlink()                                                             # control: a real folder records
    assert _record(script, base) == 0


def test_record_onto_a_file_names_what_goes_into_the_folder(tmp_path, fake_devices, capsys):
    (tmp_path / "file").write_text("")
    assert _record(_script(tmp_path), tmp_path / "file") == 2
    err = capsys.readouterr().err
    assert "'--record'" not in err and "(what it writes goes into it)" in err and "(its  are" not in err


def test_a_corrupt_baseline_can_be_recorded_again(tmp_path, fake_devices, capsys):
    script, base = _script(tmp_path), tmp_path / "base"
    assert _record(script, base) == 0
    (base / "model" / "numpy" / "record.json").write_text("{")
    assert main(["check", str(script), "--against", str(base), "--quiet"]) == 2     # control: it is corrupt
    assert _record(script, base) == 0
    assert main(["check", str(script), "--against", str(base), "--quiet"]) == 0


def test_a_baseline_is_swapped_in_one_step_where_the_system_can(tmp_path, monkeypatch):
    from brian2_harness.check import record_store

    def write(text):
        return lambda stage: (stage / "numpy").mkdir() or (stage / "numpy" / "record.json").write_text(text)
    record_store.replace(tmp_path, "model", write("old"))
    assert (tmp_path / "model" / "numpy" / "record.json").read_text() == "old"
    if not record_store.exchange(tmp_path / "model", tmp_path / "model"):
        pytest.skip("no renameat2 RENAME_EXCHANGE here: two renames (tested by the stop tests above)")
    monkeypatch.setattr(os, "rename", lambda *a: (_ for _ in ()).throw(KeyboardInterrupt))  # no two-step swap
    record_store.replace(tmp_path, "model", write("new"))
    assert (tmp_path / "model" / "numpy" / "record.json").read_text() == "new"
    assert os.listdir(tmp_path) == ["model"]


def test_array_statistics_go_to_an_npz_and_a_shared_array_is_stored_once(tmp_path):
    values = np.linspace(0.0, 1.0, 1000)
    stats = run_statistics({"globals.x": {"kind": "value", "unit": "", "arrays": {"values": values}}}, 1.0)
    entries, arrays = records._json_statistics(stats)
    assert not any(isinstance(e[1], list) for e in entries.values())   # no array as a JSON list
    assert len(arrays) == 1                                               # per element and distribution: one array
    back = records._read_statistics(json.loads(json.dumps(entries)), "here", lambda: arrays)
    assert set(back) == set(stats)
    for name, (kind, value, unit) in stats.items():
        assert back[name][0] == kind and back[name][2] == unit
        np.testing.assert_array_equal(back[name][1], value)


def test_statistics_written_inline_by_earlier_records_stay_readable(tmp_path, fake_devices):
    script, base = _script(tmp_path), tmp_path / "base"
    assert _record(script, base) == 0
    sub = base / "model" / "numpy" / "seed-0"
    assert (sub / "statistics.npz").is_file()
    before = records.load(base / "model" / "numpy").runs[0].statistics
    with np.load(sub / "statistics.npz") as npz:
        arrays = {k: npz[k].tolist() for k in npz.files}
    entries = json.loads((sub / "statistics.json").read_text())
    (sub / "statistics.json").write_text(json.dumps(
        {n: [k, arrays[v["npz"]] if isinstance(v, dict) else v, u] for n, (k, v, u) in entries.items()}))
    (sub / "statistics.npz").unlink()
    after = records.load(base / "model" / "numpy").runs[0].statistics
    assert set(after) == set(before) and any(np.ndim(v) for _, v, _ in before.values())
    for name in before:
        np.testing.assert_array_equal(after[name][1], before[name][1])


def test_a_statistic_naming_a_missing_array_is_one_error_naming_the_file(tmp_path, fake_devices):
    script, base = _script(tmp_path), tmp_path / "base"
    assert _record(script, base) == 0
    sub = base / "model" / "numpy" / "seed-0"
    with np.load(sub / "statistics.npz") as npz:
        kept = {k: npz[k] for k in npz.files[1:]}
    np.savez(sub / "statistics.npz", **kept)
    with pytest.raises(records.UsageError, match="statistics.npz beside it does not hold"):
        records.load(base / "model" / "numpy")
