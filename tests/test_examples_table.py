"""ci/examples_table.py without Brian: which recorded rows `--resume --redo ... --only ...` keeps."""
import importlib.util
from pathlib import Path

CI = Path(__file__).resolve().parent.parent / "ci"
_SPEC = importlib.util.spec_from_file_location("examples_table", CI / "examples_table.py")
table = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(table)

DONE = {"advanced/exprel_function.py": {"verdict": "error"}, "frompapers/x/example_6.py": {"verdict": "error"},
        "CUBA.py": {"verdict": "agree_stat"}, "COBAHH.py": {"verdict": "fail"}}


def test_redo_with_only_keeps_the_rows_only_leaves_out():
    """--redo error --only example_6 runs example_6 again and keeps the other error row (it used to drop it: the
    2.5.4 table lost exprel_function's row that way)."""
    assert sorted(table.kept(DONE, ["error"], ["example_6"])) == ["COBAHH.py", "CUBA.py", "advanced/exprel_function.py"]


def test_redo_alone_and_by_path():
    assert sorted(table.kept(DONE, ["error"], [])) == ["COBAHH.py", "CUBA.py"]
    assert sorted(table.kept(DONE, ["CUBA"], [])) == sorted(set(DONE) - {"CUBA.py"})
    assert table.kept(DONE, [], ["CUBA"]) == DONE          # --only without --redo reruns nothing recorded
