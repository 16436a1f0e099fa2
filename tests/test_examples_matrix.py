"""ci/examples_matrix.py (no Brian): the examples x releases table read from examples_table.py's own Markdown, the
rows to explain (a verdict that is not the same on every release), harness errors counted apart, and a table it
cannot read refused with the file, the line and what is allowed, writing nothing."""
import importlib.util
from pathlib import Path

import pytest

CI = Path(__file__).resolve().parent.parent / "ci"
_SPEC = importlib.util.spec_from_file_location("examples_matrix", CI / "examples_matrix.py")
em = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(em)

HEADER = "| example | verdict | numpy | cython | cpp_standalone | s | reason / note |\n|---|---|---|---|---|---|---|\n"


def _table(path, rows):
    lines = ["3 examples (brian2 X examples ...)", "", "**(top level)** (3: ...)", "", HEADER.rstrip("\n")]
    lines += [f"| {ex} | {label} | ref | = | = | 1 | {reason} |" for ex, label, reason in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_matrix_orders_releases_as_versions_and_lists_only_the_rows_that_differ(tmp_path):
    old = _table(tmp_path / "old.md", [("a.py", "agree exactly", "ok"), ("sub/b.py", "agree statistically", "ok"),
                                       ("sub/gone.py", "skipped", "no run()")])
    new = _table(tmp_path / "new.md", [("a.py", "agree exactly", "ok"), ("sub/b.py", "fail", "differs")])
    extra = _table(tmp_path / "extra.md", [("sub/slow.py", "agree statistically", "[own cap]")])
    text = em.matrix({"2.10.0": em.release([new, extra]), "2.9.0": em.release([old])})
    lines = text.splitlines()
    assert "| example | 2.9.0 | 2.10.0 |" in lines                       # 2.10 after 2.9
    assert "| a.py | = | = |" in lines and "| sub/gone.py | skip | – |" in lines and "| sub/slow.py | – | ≈ |" in lines
    differ = lines[lines.index(next(x for x in lines if x.startswith("## Examples whose"))):]
    assert "| sub/b.py | ≈ | FAIL |" in differ                            # control: a changed verdict is listed
    assert not any(x.startswith(("| a.py", "| sub/gone.py", "| sub/slow.py")) for x in differ)   # absent is no change
    assert "| 2.10.0 | 3 | 1 | 1 | 0 | 1 | 0 | 0 |" in lines


def test_harness_errors_are_counted_apart_from_brians_errors(tmp_path):
    t = _table(tmp_path / "t.md", [("a.py", "error", "numpy: harness problem: KeyError: 'name'"),
                                   ("b.py", "error", "numpy: Brian: NotImplementedError: exprel")])
    assert "| 2.5.4 | 2 | 0 | 0 | 0 | 0 | 2 | 1 |" in em.matrix({"2.5.4": em.release([t])}).splitlines()


@pytest.mark.parametrize("rows, message", [
    ([("a.py", "agreed", "x")], "verdict 'agreed'; allowed: agree exactly, agree statistically, skipped, fail, error"),
    ([("a.py", "fail", "x"), ("a.py", "fail", "y")], "a.py is in this table twice"),
    ([], "no example rows"),
])
def test_a_table_it_cannot_read_is_refused_naming_file_line_and_allowed_values(tmp_path, rows, message):
    with pytest.raises(em.TableError, match=message.replace("(", r"\(").replace(")", r"\)")):
        em.release([_table(tmp_path / "t.md", rows)])


def test_the_command_refuses_bad_input_in_one_line_and_writes_nothing(tmp_path, capsys):
    good = _table(tmp_path / "g.md", [("a.py", "agree exactly", "ok")])
    out = tmp_path / "m.md"
    assert em.main([f"2.9.0={good}", "2.10.0", "--out", str(out)]) == 2
    assert "table '2.10.0': expected VERSION=FILE[,FILE...]" in capsys.readouterr().err
    assert em.main([f"2.9.0={good}", f"2.10.0={tmp_path / 'nope.md'}", "--out", str(out)]) == 2
    assert "release 2.10.0: no such file" in capsys.readouterr().err
    assert em.main([f"2.9.0={good}", f"2.9.0={good}", "--out", str(out)]) == 2
    assert not out.exists() and not list(tmp_path.glob("*.tmp"))
    assert em.main([f"2.9.0={good}", "--out", str(out)]) == 0 and "| a.py | = |" in out.read_text()


def test_the_stored_tables_read_without_error():
    data = CI.parent / "docs" / "data"
    # examples.md: the table the matrix reads; recorded.md: a release's table recorded again on another machine
    for table in sorted([*data.glob("examples-2.*/examples.md"), *data.glob("examples-2.*/recorded.md")]):
        got = em.release([table])
        assert len(got) >= 90 and not any(h for _, h in got.values()), table
    # a table stopped part of the way (first-N.md: its first N examples) has N rows and no harness error either
    for table in sorted(data.glob("examples-2.*/first-*.md")):
        got = em.release([table])
        assert len(got) == int(table.stem.split("-")[1]) and not any(h for _, h in got.values()), table


def test_the_stored_matrix_is_what_its_stored_tables_give_and_every_release_ran_every_example():
    """docs/data/examples-matrix.md regenerated from each release's examples.md (+ maass.md, Maass 2002 run on its
    own) is the stored file byte for byte: a table added or changed without regenerating the matrix fails here."""
    data = CI.parent / "docs" / "data"
    tables = {}
    for folder in sorted(data.glob("examples-2.*")):
        files = [folder / "examples.md"] + ([folder / "maass.md"] if (folder / "maass.md").exists() else [])
        tables[folder.name.removeprefix("examples-")] = em.release(files)
    assert (data / "examples-matrix.md").read_text(encoding="utf-8") == em.matrix(tables)
    for version, got in tables.items():
        assert "frompapers/Maass_Natschlaeger_Markram_2002.py" in got, version
        assert got["frompapers/Maass_Natschlaeger_Markram_2002.py"][0] != "error", version
    for maass in sorted([*data.glob("examples-2.*/maass.md"), *data.glob("examples-2.*/maass-*.md")]):
        assert list(em.release([maass])) == ["frompapers/Maass_Natschlaeger_Markram_2002.py"], maass
