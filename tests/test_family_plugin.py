"""A family defined in tests/ (decay_family.py, a plugin file) runs end to end -- run, record/compare, report --
without any edit to harness/: a family is one folder (here, one file)."""
import json
import os

import pytest

from brian2_harness.cli import main

HERE = os.path.dirname(__file__)
PLUGIN = os.path.join(HERE, "decay_family.py")
pytestmark = pytest.mark.brian


def test_plugin_family_runs_records_compares_and_reports(tmp_path):
    cache = ["--cache-dir", str(tmp_path / "c")]
    out, rep = tmp_path / "r.json", tmp_path / "rep"
    rc = main(["run", "--plugin", PLUGIN, "--variants", "decay_euler,decay_wrong_tau", "--devices", "numpy",
               "--dtype", "float64", "--cases", "3", "--seed", "1", "--default-case", "--json", str(out),
               "--report", str(rep), "--quiet", *cache])
    assert rc == 1                                       # the negative control fails, the model passes
    cells = json.loads(out.read_text())["cells"]
    good = [c for c in cells if c["variant"] == "decay_euler"]
    bad = [c for c in cells if c["variant"] == "decay_wrong_tau"]
    assert len(good) == 4 and all(c["verdict"] == "pass" and c["detection_limit"] for c in good)
    assert bad and all(c["verdict"] == "fail" and c["first"]["observable"] == "v" for c in bad)
    html = (rep / "index.html").read_text()
    assert "decay_wrong_tau × numpy × float64" in html and "first divergence" in html
    assert "v at event" in html                          # the first divergence, rendered from data

    corpus, base = tmp_path / "corpus.json", tmp_path / "base.npz"
    assert main(["corpus", "--plugin", PLUGIN, "--seed", "2", "--cases", "0", "--meta-cases", "2",
                 "--no-default-cases", "--out", str(corpus)]) == 0
    assert "decay" in json.loads(corpus.read_text())
    assert main(["record", "--plugin", PLUGIN, "--corpus", str(corpus), "--out", str(base),
                 "--variants", "decay_euler", "--devices", "numpy", "--dtype", "float64", "--quiet", *cache]) == 0
    cmp = tmp_path / "cmp.json"
    assert main(["compare", "--plugin", PLUGIN, str(base), "--json", str(cmp), "--quiet", *cache]) == 0
    assert {c["status"] for c in json.loads(cmp.read_text())["cells"]} == {"identical"}
