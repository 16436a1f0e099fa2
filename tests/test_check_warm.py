"""Warm seeds without Brian (check/warm.py): when a rerun counts as the same run, and when seeds run warm."""
import json
import sys
import types

import numpy as np

from brian2_harness.check import warm


def _run(values, **meta):
    base = dict(status="ok", reason="", run_calls=1, t_end=0.1, dt=1e-4, random_sources=["G: rand"],
                script_seeded=False, stream=None, perturbed=[], notes=["a note"])
    values = values if isinstance(values, np.ndarray) else np.asarray(values, dtype=float)
    obs = {"M.v": {"kind": "state", "arrays": {"values": values}}}
    return obs, dict(base, **meta)


def test_the_same_run_is_the_same_nan_included():
    assert warm.differs(_run([1.0, np.nan]), _run([1.0, np.nan])) == ""


def test_one_bit_of_one_value_differs():
    x = np.array([0.1, 0.2])
    y = x.copy()
    y[1] = np.nextafter(y[1], 1.0)
    assert warm.differs(_run(x), _run(y)) == "M.v.values differs"


def test_a_nan_against_a_number_and_minus_zero_against_zero_differ():
    assert warm.differs(_run([np.nan]), _run([0.0]))
    assert warm.differs(_run([-0.0]), _run([0.0]))


def test_dtype_shape_names_outcome_random_draws_and_notes_are_compared():
    assert warm.differs(_run([1.0]), _run(np.array([1.0], dtype=np.float32)))
    assert warm.differs(_run([1.0]), _run([1.0, 1.0]))
    assert "status" in warm.differs(_run([1.0]), _run([1.0], status="error"))
    assert "stream" in warm.differs(_run([1.0], stream={"draws": {"G/rand": [0.5]}}),
                                    _run([1.0], stream={"draws": {"G/rand": [0.25]}}))
    assert warm.differs(_run([1.0]), _run([1.0], notes=["another note"])) == "the notes differ"
    obs, meta = _run([1.0])
    assert "present in one run only" in warm.differs((obs, meta), (dict(obs, extra=obs["M.v"]), meta))


def test_warm_seeds_only_for_runtime_devices_with_several_seeds(monkeypatch):
    monkeypatch.delenv(warm.WARM_VAR, raising=False)
    assert warm.wanted({"seeds": [1, 2]}, standalone=False)
    assert not warm.wanted({"seeds": [1, 2]}, standalone=True)         # one build, a binary run per seed already
    assert not warm.wanted({"seeds": [1]}, standalone=False)
    assert not warm.wanted({"seeds": [1, 2], "rebuild_per_seed": True}, standalone=False)    # --fresh-processes
    monkeypatch.setenv(warm.WARM_VAR, "0")
    assert not warm.wanted({"seeds": [1, 2]}, standalone=False)


def test_only_the_scripts_own_new_modules_are_forgotten(tmp_path, monkeypatch):
    own = types.ModuleType("b2h_warm_helper")
    own.__file__ = str(tmp_path / "b2h_warm_helper.py")
    before = types.ModuleType("b2h_warm_before")        # imported before the first run (the harness, Brian)
    before.__file__ = str(tmp_path / "b2h_warm_before.py")
    elsewhere = types.ModuleType("b2h_warm_elsewhere")
    elsewhere.__file__ = "/usr/lib/python3/b2h_warm_elsewhere.py"
    venv = types.ModuleType("b2h_warm_venv")          # a virtualenv inside the script's folder
    venv.__file__ = str(tmp_path / ".venv" / "lib" / "python3.12" / "site-packages" / "b2h_warm_venv.py")
    monkeypatch.setitem(sys.modules, "b2h_warm_before", before)
    start = {"modules": set(sys.modules)}
    for m in (own, elsewhere, venv):
        monkeypatch.setitem(sys.modules, m.__name__, m)
    assert warm.forget_modules(start, [str(tmp_path)]) == ["b2h_warm_helper"]
    assert "b2h_warm_helper" not in sys.modules and "b2h_warm_before" in sys.modules
    assert "b2h_warm_elsewhere" in sys.modules and "b2h_warm_venv" in sys.modules


def test_the_fallback_note_is_added_to_the_first_seeds_notes(tmp_path):
    (tmp_path / "meta.json").write_text(json.dumps({"status": "ok", "notes": ["x"], "t_end": float("nan")}))
    warm.note_fallback(str(tmp_path), "the seeds after the first", "the first seed run twice differed (t_end)")
    notes = json.loads((tmp_path / "meta.json").read_text())["notes"]
    assert notes[0] == "x" and warm.FALLBACK in notes[1] and "t_end" in notes[1]
