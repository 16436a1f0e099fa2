"""docs/layout.md names every module of the code and nothing else (ci/layout.py generates that part)."""
from __future__ import annotations

import importlib.util
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location("layout_doc", REPO / "ci" / "layout.py")
layout = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(layout)


def test_the_page_names_every_module_and_only_those():
    found = layout.problems(layout.DOC.read_text(encoding="utf-8"), layout.modules())
    assert not found, "\n".join(found + ["run: python ci/layout.py --write"])


MODS = {"harness/a.py": "Does a.", "harness/b.py": "Does b."}


def test_a_current_page_has_no_problems():
    assert layout.problems("intro\n" + layout.render(MODS), MODS) == []


def test_a_missing_module_is_flagged():
    page = layout.render({"harness/a.py": "Does a."})
    assert layout.problems(page, MODS) == ["module not named on the page: harness/b.py"]


def test_a_module_that_is_gone_is_flagged():
    page = layout.render(dict(MODS, **{"harness/gone.py": "Was here."}))
    assert layout.problems(page, MODS) == ["the page names a module that does not exist: harness/gone.py"]


def test_a_changed_summary_is_flagged():
    page = layout.render(dict(MODS, **{"harness/b.py": "Did b once."}))
    assert layout.problems(page, MODS) == ["summary changed: harness/b.py"]


def test_a_page_without_the_generated_part_is_flagged():
    assert layout.problems("# Layout\n", MODS)[0].startswith("docs/layout.md has no generated module list")


def test_the_summary_is_the_docstrings_first_sentence(tmp_path):
    src = '"""Runs things. More text\nhere.\n\nSecond paragraph."""\nx = 1\n'
    assert layout.summary(src) == "Runs things."
    assert layout.summary("x = 1\n") == ""
