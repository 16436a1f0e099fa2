"""Outputs are checked before any work: an output naming an input (by path, link or inode) is refused and the input
stays as it was; a folder where a file is meant, a file where a folder is meant, and an unwritable place are one
usage error (exit 2) instead of a traceback after the whole run. No Brian run: every case is refused up front."""
import os

import pytest
from brian2_harness.cli import main


@pytest.fixture
def files(tmp_path):
    base = tmp_path / "base.npz"
    base.write_bytes(b"PK\x03\x04 not really a baseline")
    corpus = tmp_path / "c.json"
    corpus.write_text('{"format": "brian2-harness-corpus/1"}')
    script = tmp_path / "model.py"
    script.write_text("from brian2 import *\nrun(1*ms)\n")
    return base, corpus, script


def _refused(capsys, argv, *needles):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1, err
    for n in needles:
        assert n in err, err
    return err


@pytest.mark.parametrize("argv, victim", [
    (["compare", "{base}", "--json", "{base}"], "base"),
    (["compare", "{base}", "--corpus", "{corpus}", "--markdown", "{corpus}"], "corpus"),
    (["record", "--corpus", "{corpus}", "--out", "{corpus}"], "corpus"),
    (["check", "{script}", "--json", "{script}"], "script"),
    (["run", "--plugin", "{script}", "--json", "{script}"], "script"),
    (["merge", "{corpus}", "--out", "{corpus}"], "corpus"),
    (["junit", "{corpus}", "--out", "{corpus}"], "corpus"),
])
def test_an_output_that_names_an_input_is_refused_and_the_input_kept(files, capsys, argv, victim):
    base, corpus, script = files
    paths = {"base": base, "corpus": corpus, "script": script}
    before = paths[victim].read_bytes()
    _refused(capsys, [a.format(**paths) for a in argv], "would overwrite the input")
    assert paths[victim].read_bytes() == before


def test_a_hard_link_or_symlink_to_an_input_is_the_input(files, tmp_path, capsys):
    base, _, _ = files
    os.link(base, tmp_path / "hard.json")
    os.symlink(base, tmp_path / "soft.json")
    before = base.read_bytes()
    for name in ("hard.json", "soft.json"):
        _refused(capsys, ["compare", str(base), "--json", str(tmp_path / name)], "would overwrite the input")
    _refused(capsys, ["compare", str(base), "--json", str(tmp_path / "sub" / ".." / "base.npz")], "would overwrite")
    assert base.read_bytes() == before


def test_two_outputs_on_one_file_are_refused(files, tmp_path, capsys):
    base, _, _ = files
    out = str(tmp_path / "same")
    _refused(capsys, ["compare", str(base), "--json", out, "--markdown", out], "name the same file")


def test_run_outputs_are_checked_before_the_run(tmp_path, capsys):
    a_file = tmp_path / "a_file"
    a_file.write_text("keep me")
    folder = tmp_path / "a_folder"
    folder.mkdir()
    common = ["run", "--variants", "summed_aligned", "--devices", "numpy", "--cases", "1", "--quiet"]
    _refused(capsys, common + ["--json", str(folder)], "--json", "is a folder")
    _refused(capsys, common + ["--json", str(a_file / "out.json")], "is not a folder")
    _refused(capsys, common + ["--json", "/proc/no-such-place/out.json"], "cannot write into")
    _refused(capsys, common + ["--report", str(a_file)], "--report", "is an existing file")
    _refused(capsys, common + ["--junit", str(folder)], "--junit", "is a folder")
    assert a_file.read_text() == "keep me"


def test_report_folder_files_are_checked(tmp_path, capsys):
    results = tmp_path / "r.json"
    results.write_text("{}")
    out = tmp_path / "rep"
    (out / "index.html").mkdir(parents=True)
    _refused(capsys, ["report", str(results), "--out", str(out)], "is a folder where a file is written")
    (out / "index.html").rmdir()
    (out / "summary.md").write_text('{"format": "x"}')
    _refused(capsys, ["report", str(out / "summary.md"), "--out", str(out)], "would overwrite the input")


def test_history_refuses_one_baseline_given_twice(files, tmp_path, capsys):
    base, _, _ = files
    os.symlink(base, tmp_path / "alias.npz")
    _refused(capsys, ["history", str(base), str(base)], "given more than once")
    _refused(capsys, ["history", str(base), str(tmp_path / "alias.npz")], "given more than once")


def test_check_names_a_folder_as_a_folder(tmp_path, capsys):
    (tmp_path / "adir").mkdir()
    _refused(capsys, ["check", str(tmp_path / "adir"), "--devices", "numpy,cython"], "is a folder")
