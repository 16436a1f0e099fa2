"""One verdict vocabulary (issue 38 item 4): every verdict and status word is defined in harness/verdicts.py and
imported from there; a module that assigns one of the words to a constant of its own is flagged. No Brian."""
from __future__ import annotations

import ast
from pathlib import Path

from brian2_harness import verdicts
from brian2_harness.cells import verdict as cells_verdict
from brian2_harness.check import against, document, records
from brian2_harness.check import result as check_result

REPO = Path(__file__).resolve().parent.parent
HOME = REPO / "harness" / "verdicts.py"
WORDS = {v for name, v in vars(verdicts).items() if name.isupper() and isinstance(v, str)}
# still defining its own copy: check/script.py (owned by h/house at the time of writing; its
# `OK, SKIP, ERROR, BUILT = ...` line becomes `from ..verdicts import BUILT, ERROR, OK, SKIP`)
PENDING: set = set()       # modules still defining their own copy (none left)


def own_copies(path: Path) -> list[str]:
    """`NAME = "word"`, `A, B = "w1", "w2"` or `NAMES = ("w1", "w2")` at module level where every value is a verdict
    word (a tuple of field names that includes "reference" or "ok" is not a verdict)."""
    out = []
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if not isinstance(node, ast.Assign):
            continue
        names = [n.id for t in node.targets for n in (t.elts if isinstance(t, ast.Tuple) else [t])
                 if isinstance(n, ast.Name)]
        values = node.value.elts if isinstance(node.value, ast.Tuple) else [node.value]
        words = [v.value for v in values if isinstance(v, ast.Constant) and v.value in WORDS]
        if words and len(words) == len(values) and all(n.isupper() for n in names):
            out.append(f"{path.relative_to(path.parents[1])}:{node.lineno}: {', '.join(names)} = "
                       f"{', '.join(map(repr, words))}")
    return out


def test_no_module_defines_a_verdict_word_of_its_own():
    found = [p for f in sorted((REPO / "harness").rglob("*.py")) if f != HOME and f not in PENDING
             for p in own_copies(f)]
    assert found == []


def test_negative_control_a_copied_verdict_word_is_flagged(tmp_path):
    (tmp_path / "harness").mkdir()
    bad = tmp_path / "harness" / "copy.py"
    bad.write_text('AGREE, FAIL = "agree", "fail"\nKINDS = ("ok", "skip")\nFIELDS = ("name", "ok")\n'
                   'LABEL = "fine"\nx = "fail"\n')
    found = own_copies(bad)
    assert len(found) == 2 and "AGREE, FAIL" in found[0] and "'ok'" in found[1], found


def test_the_modules_that_judge_use_the_same_words():
    assert cells_verdict.VERDICTS == verdicts.CELL_VERDICTS and cells_verdict.FAIL is verdicts.FAIL
    assert document.VERDICTS == verdicts.DEVICE_VERDICTS and document.SCRIPT_VERDICTS == verdicts.SCRIPT_VERDICTS
    assert against.WITH_OTHERS == verdicts.WITH_OTHERS and records.STATUSES == verdicts.RUN_STATUSES
    assert check_result.LABEL is verdicts.LABEL and set(verdicts.LABEL) == set(verdicts.DEVICE_VERDICTS)
