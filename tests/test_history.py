"""Causes named on evidence, values that moved measured against the oracle, and `history` over several
baselines — pure Python: runs are the Brian-free oracles of test_baseline.fake_run, baselines are faked."""
import argparse
import json

import numpy as np
import pytest
from test_baseline import fake_run, small_corpus

from brian2_harness import upgrade as bl
from brian2_harness.cli import COMMANDS
from brian2_harness.errors import UsageError
from brian2_harness.upgrade import drift
from brian2_harness.upgrade.causes import error_key, shared_causes
from brian2_harness.upgrade.history import load_history
from brian2_harness.upgrade.render import group_changes, markdown_table

VARIANTS = ["netop_reference", "summed_seed", "summed_aligned", "metaplastic_stdp"]   # netop: no private API
HONOURED = {"_clock": {"honoured": True}}
CYTHON3 = ("ImportError: Cython is not available (brian2 2.5.4, /usr/lib/python3.11/site-packages/"
           "brian2/codegen/cpp_prefs.py line 12)")


def run_command(args) -> int:
    """What `brian2-harness <args.command>` runs, without parsing."""
    return COMMANDS[args.command](args)


@pytest.fixture(scope="module")
def corpus():
    return small_corpus()


def write(tmp_path, corpus, name, env, perturb=None, probe=HONOURED):
    config = {"variants": VARIANTS, "devices": ["numpy", "cython"], "dtypes": ["float64", "float32"], "plugins": []}
    b = bl.build_baseline(fake_run(corpus, variants=VARIANTS, perturb=perturb), corpus, config,
                          environment={"python": "3.11.7", "numpy": "1.26.4", "cython": "3.0.11", **env},
                          private_api=probe)
    path = tmp_path / name
    bl.write_baseline(b, path)
    return path


def cython_errors(job):
    if job.device == "cython":
        job.arrays, job.error = None, CYTHON3


def only_private_errors(job):
    if job.device == "cython" and job.variant.name != "netop_reference":
        job.arrays, job.error = None, "RuntimeError: summed updater ran on the wrong clock"


def test_cython_missing_is_an_environment_cause_not_the_private_api(tmp_path, corpus):
    """brian2 2.5.4 next to Cython 3: every cython cell errors, netop_reference (no private API) included."""
    base = bl.load_baseline(write(tmp_path, corpus, "b29.npz", {"brian2": "2.9.0"}))
    changes = bl.compare_cells(base, fake_run(corpus, variants=VARIANTS, perturb=cython_errors), probe=HONOURED)
    cython = [c for c in changes if c.device == "cython"]
    assert cython and {c.status for c in cython} == {bl.NEW_ERROR}
    assert not any(c.private_blamed for c in changes)
    assert not any(c.detail.startswith("relies on private") for c in changes)
    assert {c.cause for c in cython} == {"shared by all 4 variants on cython: ImportError: Cython is not available "
                                         "(brian2 #, <path> line #)"}
    assert {c.status for c in changes if c.device == "numpy"} == {bl.IDENTICAL}
    doc = bl.comparison_document(base, changes, environment={"brian2": "2.5.4"}, probe=HONOURED, seconds=0.0)
    [shared] = doc["causes"]
    assert shared["device"] == "cython" and shared["all_variants"] and "environment" in shared["hint"]
    md = markdown_table(doc, group_changes(changes))
    assert "BROKEN?" not in md and "NOT HONOURED" not in md
    assert md.count("Cython is not available") == 1 and md.count("shared cause on cython (all its variants") == 1
    assert "with and without private API alike" in md


def test_negative_control_only_private_api_variants_regress(tmp_path, corpus):
    """The same device, netop_reference fine, the three `_clock` variants erroring: the private API is suspected."""
    base = bl.load_baseline(write(tmp_path, corpus, "b29.npz", {"brian2": "2.9.0"}))
    changes = bl.compare_cells(base, fake_run(corpus, variants=VARIANTS, perturb=only_private_errors),
                               probe=HONOURED)
    bad = [c for c in changes if c.status == bl.NEW_ERROR]
    assert bad and {c.variant for c in bad} == {"summed_seed", "summed_aligned", "metaplastic_stdp"}
    assert all(c.private_blamed and c.detail.startswith("relies on private Brian API _clock") for c in bad)
    assert all("suspected" in c.cause for c in bad)
    doc = bl.comparison_document(base, changes, environment={}, probe=HONOURED, seconds=0.0)
    assert doc["causes"] == []          # netop_reference ran fine: nothing shared by the device's variants
    assert "_clock BROKEN?" in markdown_table(doc, group_changes(changes))


def test_probe_not_honoured_blames_the_private_api_even_with_a_shared_error(tmp_path, corpus):
    base = bl.load_baseline(write(tmp_path, corpus, "b29.npz", {"brian2": "2.9.0"}))
    probe = {"_clock": {"honoured": False, "detail": "renamed"}}

    def perturb(job):                   # a private-API variant changes on numpy; cython errors for everyone
        cython_errors(job)
        if job.device == "numpy" and job.variant.name == "summed_seed":
            job.arrays["w_after"] = job.arrays["w_after"] + 1e-3
    changes = bl.compare_cells(base, fake_run(corpus, variants=VARIANTS, perturb=perturb), probe=probe)
    numpy_bad = [c for c in changes if c.device == "numpy" and c.status in bl.REGRESSIONS]
    assert numpy_bad and all(c.private_blamed and "no longer honoured" in c.cause for c in numpy_bad)
    assert all(c.cause.startswith("shared by") for c in changes if c.device == "cython")


def test_error_key_masks_paths_and_numbers():
    assert error_key("x\nImportError: no module /a/b/c.py 3.0.1 at 0x7f") == "ImportError: no module <path> # at 0x#"
    assert error_key("") == "" and error_key("plain text") == "plain text"
    assert (error_key("CompileError: Command '['g++', '-O3', '-I/a/b/c']' returned non-zero exit status 1.")
            == "CompileError: Command 'g++ ...' returned non-zero exit status #.")
    assert error_key("ImportError: A") != error_key("ImportError: B")


def test_different_errors_are_not_a_shared_cause(corpus, tmp_path):
    base = bl.load_baseline(write(tmp_path, corpus, "b29.npz", {"brian2": "2.9.0"}))

    def perturb(job):
        if job.device == "cython":
            job.arrays, job.error = None, f"RuntimeError: {job.variant.name} broke"
    changes = bl.compare_cells(base, fake_run(corpus, variants=VARIANTS, perturb=perturb), probe=HONOURED)
    assert shared_causes(changes) == []
    assert all("not the private API" in c.cause for c in changes if c.private_api and c.status == bl.NEW_ERROR)


# --- values that moved within tolerance: which version is closer to the oracle --------------------------

def nudge_r(factor):
    def perturb(job):   # the rate drifts a little on every neuron: far inside its bound, far above rounding
        if job.variant.name == "metaplastic_stdp" and job.device == "numpy" and job.dtype == "float32":
            job.arrays["r"] = (job.arrays["r"] * np.float32(factor)).astype(job.arrays["r"].dtype)
    return perturb


@pytest.mark.parametrize("moved, label", [("now", drift.AWAY), ("before", drift.TOWARDS)])
def test_within_tolerance_change_names_the_version_that_moved(tmp_path, corpus, moved, label):
    where = dict(variant="metaplastic_stdp", device="numpy", dtype="float32")
    base_perturb = nudge_r(1 + 2e-4) if moved == "before" else None
    now_perturb = nudge_r(1 + 2e-4) if moved == "now" else None
    base = bl.load_baseline(write(tmp_path, corpus, "b.npz", {"brian2": "2.5.4"}, perturb=base_perturb))
    changes = bl.compare_cells(base, fake_run(corpus, variants=VARIANTS, perturb=now_perturb), probe=HONOURED)
    cells = [c for c in changes if all(getattr(c, k) == v for k, v in where.items())]
    assert cells and {c.status for c in cells} == {bl.WITHIN}
    for c in cells:
        assert c.oracle["label"] == label and c.oracle["moved"] == moved
        assert c.oracle[moved]["ratio"] > 0 and c.oracle[moved]["max_abs_err"]["r"] > 0
        assert c.oracle["before" if moved == "now" else "now"]["max_abs_err"]["r"] == 0
        assert label in c.detail and 0 < c.ratio < 1
        assert c.oracle["exact"]["now"]["r"] > 0 and "vs float64 oracle" in c.detail     # float32: exactness too
    assert [c for c in changes if c.status != bl.IDENTICAL] == cells
    row = next(r for r in group_changes(changes) if r["variant"] == "metaplastic_stdp" and r["device"] == "numpy"
               and r["dtype"] == "float32")
    assert label in row["note"] and "of limit" in row["note"]


def test_negative_control_one_ulp_is_rounding(tmp_path, corpus):
    def perturb(job):
        if job.variant.name == "metaplastic_stdp" and job.device == "numpy" and job.dtype == "float32":
            a = job.arrays["w"]
            a[-1, 0] = np.nextafter(a[-1, 0], np.float32(np.inf))
    base = bl.load_baseline(write(tmp_path, corpus, "b.npz", {"brian2": "2.5.4"}))
    changes = bl.compare_cells(base, fake_run(corpus, variants=VARIANTS, perturb=perturb), probe=HONOURED)
    within = [c for c in changes if c.status == bl.WITHIN]
    assert within and all(c.oracle["label"] == drift.ROUNDING and c.oracle["ulps"] == 1 for c in within)


def test_classify():
    assert drift.classify(0.0, 0.03, ulps=2000) == (drift.AWAY, "now")
    assert drift.classify(0.03, 0.0, ulps=2000) == (drift.TOWARDS, "before")
    assert drift.classify(0.02, 0.03, ulps=2000) == (drift.EVEN, "")
    assert drift.classify(0.0, 0.03, ulps=1) == (drift.ROUNDING, "")
    assert drift.classify(0.0, 3e-5, ulps=20, change=3e-5) == (drift.ROUNDING, "")      # far below the limit


# --- history over several baselines ----------------------------------------------------------------------

def _hargs(paths, tmp_path):
    return argparse.Namespace(command="history", baselines=[str(p) for p in paths],
                              json_out=str(tmp_path / "h.json"), markdown=str(tmp_path / "h.md"))


def test_history_orders_versions_and_names_each_step(tmp_path, corpus, capsys):
    p29 = write(tmp_path, corpus, "b29.npz", {"brian2": "2.9.0", "numpy": "2.2.6"}, perturb=nudge_r(1 + 2e-4))
    p254 = write(tmp_path, corpus, "b254.npz", {"brian2": "2.5.4"}, perturb=cython_errors)
    p28 = write(tmp_path, corpus, "b28.npz", {"brian2": "2.8.0.4"})
    p210 = write(tmp_path, corpus, "b210.npz", {"brian2": "2.10.1", "numpy": "2.2.6"}, perturb=nudge_r(1 + 2e-4))
    assert run_command(_hargs([p29, p210, p254, p28], tmp_path)) == 0
    doc = json.loads((tmp_path / "h.json").read_text())
    assert [v["environment"]["brian2"] for v in doc["versions"]] == ["2.5.4", "2.8.0.4", "2.9.0", "2.10.1"]
    first, second, third = doc["steps"]
    assert first["summary"][bl.NOW_RUNS] > 0 and first["env_changes"] == ["brian2 2.5.4 -> 2.8.0.4"]
    assert second["env_changes"] == ["brian2 2.8.0.4 -> 2.9.0", "numpy 1.26.4 -> 2.2.6"]
    assert second["summary"][bl.WITHIN] > 0
    assert all(c["oracle"]["label"] == drift.AWAY for c in second["cells"] if c["status"] == bl.WITHIN)
    assert third["summary"][bl.IDENTICAL] == third["summary"]["cells"] - third["summary"][bl.NO_RESULT]
    md = (tmp_path / "h.md").read_text()
    assert "2.8.0.4 (numpy 1.26.4) → 2.9.0 (numpy 2.2.6)" in md
    assert "one of: brian2 2.8.0.4 -> 2.9.0, numpy 1.26.4 -> 2.2.6" in md
    assert "cython: " in md and "Cython is not available" in md          # 2.5.4's errors, per version
    assert "BROKEN?" not in md


def test_history_missing_file_is_named_and_fails(tmp_path, corpus, capsys):
    p254 = write(tmp_path, corpus, "b254.npz", {"brian2": "2.5.4"})
    p26 = write(tmp_path, corpus, "b26.npz", {"brian2": "2.6.0"})
    assert run_command(_hargs([p254, tmp_path / "brian2-2.7.1.npz", p26], tmp_path)) == 1
    out = capsys.readouterr().out
    assert "MISSING" in out and "brian2-2.7.1.npz" in out
    assert "(missing)" in (tmp_path / "h.md").read_text()


def test_history_usage_errors(tmp_path, corpus):
    p = write(tmp_path, corpus, "b.npz", {"brian2": "2.5.4"})
    with pytest.raises(UsageError, match="is a directory"):
        load_history([tmp_path])
    with pytest.raises(UsageError, match="at least two"):
        run_command(_hargs([p], tmp_path))
    other = small_corpus()
    other.cases["growth"] = other.cases["growth"][:1]
    config = {"variants": ["summed_seed"], "devices": ["numpy"], "dtypes": ["float64"], "plugins": []}
    b = bl.build_baseline(fake_run(other, variants=["summed_seed"], devices=("numpy",), dtypes=("float64",)),
                          other, config, environment={"brian2": "2.6.0"})
    bl.write_baseline(b, tmp_path / "o.npz")
    with pytest.raises(UsageError, match="another corpus"):
        load_history([p, tmp_path / "o.npz"])


def test_tox_history_label_records_every_version_and_tables_each():
    """Every hist-brian2.* env is in the label, in order, before the table, and the table reads its baseline:
    a version left out of either would silently drop out of the history."""
    import configparser
    import re
    from pathlib import Path
    root = Path(__file__).resolve().parents[1]
    cfg = configparser.ConfigParser(interpolation=None)
    cfg.read(root / "tox.ini")
    line = next(ln for ln in cfg["tox"]["labels"].splitlines() if ln.strip().startswith("history"))
    label = [x.strip() for x in line.split("=", 1)[1].split(",")]
    envs = [s.split(":", 1)[1] for s in cfg.sections() if s.startswith("testenv:hist-brian2.")]
    assert len(envs) >= 7 and label == envs + ["history-table"]
    table = cfg["testenv:history-table"]["commands"]
    for env in envs:
        version = re.search(r"HIST_BRIAN2\s*=\s*(\S+)", cfg[f"testenv:{env}"]["setenv"]).group(1)
        assert env == f"hist-brian{version}" and f"/brian2-{version}.npz" in table
        assert "{[history]record}" in cfg[f"testenv:{env}"]["commands"]
        # the check smoke test (an error fails the env) and the known-bugs scripts, tabled per version too
        assert "\n{[history]smoke}" in cfg[f"testenv:{env}"]["commands"]
        assert "{[history]scripts}" in cfg[f"testenv:{env}"]["commands"] and f"/scripts-brian2-{version} " in table
    tox_sh = (root / "ci" / "tox.sh").read_text()              # `bash ci/tox.sh history` runs the label
    assert 'upgrade|history) labels+=("$env")' in tox_sh and '-m "${labels[@]}"' in tox_sh


def test_skipped_cells_are_no_evidence_for_or_against_the_private_api():
    """On cpp_standalone netop_reference is skipped by declaration: a `_clock` variant erroring there alone is
    'undetermined', not 'suspected'; with summed_every_step (no private API) identical there, it is suspected."""
    from brian2_harness.upgrade.causes import attribute
    from brian2_harness.upgrade.changes import CellChange

    def cells(every_step_status):
        return [CellChange("netop_reference", "cpp_standalone", "float64", "a", bl.NO_RESULT, "skip", "skip"),
                CellChange("summed_seed", "cpp_standalone", "float64", "a", bl.NEW_ERROR, "pass", "error",
                           detail="RuntimeError: x", private_api=["_clock"]),
                CellChange("summed_every_step", "cpp_standalone", "float64", "a", every_step_status, "pass",
                           "pass" if every_step_status == bl.IDENTICAL else "skip")]
    alone = cells(bl.NO_RESULT)
    attribute(alone, HONOURED)
    assert not alone[1].private_blamed and alone[1].cause.startswith("undetermined")
    control = cells(bl.IDENTICAL)
    attribute(control, HONOURED)
    assert control[1].private_blamed and "suspected" in control[1].cause


def test_history_command_line_usage_errors_are_one_line(tmp_path, corpus, capsys):
    from brian2_harness import cli
    p = write(tmp_path, corpus, "b.npz", {"brian2": "2.5.4"})
    assert cli.main(["history", str(tmp_path)]) == 2
    assert cli.main(["history", str(p), str(tmp_path / "corpus.json")]) == 1      # missing file: named, exit 1
    (tmp_path / "not.npz").write_text("{}")
    assert cli.main(["history", str(p), str(tmp_path / "not.npz")]) == 2
    err = capsys.readouterr().err
    assert "is a directory" in err and "not a readable baseline archive" in err and "Traceback" not in err
