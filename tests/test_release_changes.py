"""ci/release_changes.py's pieces that need no Brian: the verdict table (examples x releases) read from check's
documents, the releases ordered as versions (2.10 after 2.9), and a bad --python pair refused in one line."""
import importlib.util
import json
import sys
from pathlib import Path

import pytest

CI = Path(__file__).resolve().parent.parent / "ci"
sys.path.insert(0, str(CI))
_SPEC = importlib.util.spec_from_file_location("release_changes", CI / "release_changes.py")
rc = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(rc)


def _doc(folder, version, verdicts):
    (folder / "checks").mkdir(parents=True, exist_ok=True)
    scripts = [{"script": f"/sdist/brian2-{version}/examples/{name}", "verdict": v} for name, v in verdicts.items()]
    (folder / "checks" / f"brian2-{version}.json").write_text(json.dumps({"scripts": scripts}))


def test_the_verdict_table_orders_releases_as_versions_and_names_what_did_not_run(tmp_path):
    _doc(tmp_path, "2.10.0", {"a.py": "agree", "b.py": "error"})
    _doc(tmp_path, "2.9.0", {"a.py": "agree_stat"})
    table = rc.verdict_table(tmp_path, {"2.9.0": {"seconds": 60.0}})
    lines = table.splitlines()
    assert lines[0] == "| example | 2.9.0 | 2.10.0 |"
    assert "| a.py | ≈ | = |" in lines and "| b.py | – | ERROR |" in lines      # missing in 2.9.0: –
    assert lines[-2] == "| **verdicts** | 1 agree_stat | 1 agree, 1 error |"
    assert lines[-1] == "| **wall time** | 1.0 min | ? |"


def test_a_python_pair_without_an_interpreter_is_one_usage_line(tmp_path):
    with pytest.raises(SystemExit, match="VERSION=PATH"):
        rc.environments(["2.9.0"])
    with pytest.raises(SystemExit, match="VERSION=PATH"):
        rc.environments([f"2.9.0={tmp_path / 'no-python'}"])
    assert rc.environments([f"2.9.0={sys.executable}"]) == {"2.9.0": sys.executable}
