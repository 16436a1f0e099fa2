"""`fuzz --scheduler local:1` with Brian2 and a real LocalCluster: a 1-pack smoke campaign (2 models on numpy and
cpp_standalone, seed 1) gets the per-model outcomes of the same campaign run here, and its device runs went to the
cluster as Dask tasks (summary.json's `cluster`; the local campaign records none: the control)."""
from __future__ import annotations

import json

import pytest

distributed = pytest.importorskip("distributed", reason="needs Dask: pip install 'brian2-harness[cluster]'")

from brian2_harness.cli import main  # noqa: E402

# deep (tox -e deep): a LocalCluster costs minutes on 2 cores; without Brian, test_fuzz_scheduler.py checks that
# the option reaches every check as check's Dask runner, and test_cluster.py that check through it is the local one
pytestmark = [pytest.mark.brian, pytest.mark.deep]
SMOKE = ["--max-models", "2", "--pack", "2", "--devices", "numpy,cpp_standalone", "--seed", "1", "--budget", "30",
         "--shrink-minutes", "1", "--quiet"]


def _outcomes(summary: dict) -> dict:
    s = summary["stats"]
    return dict(models=s["models"], packs=s["packs"], invalid=s["invalid_models"], disagreements=s["disagreements"],
                timed_out=s["timed_out"],
                findings=sorted((f["model"].get("index"), f["signature"], f["status"]) for f in summary["findings"]))


def test_a_smoke_campaign_on_a_local_cluster_has_the_local_outcomes(tmp_path, cache_dir):
    rc_here = main(["fuzz", *SMOKE, "--out", str(tmp_path / "here"), "--cache-dir", str(cache_dir)])
    rc_dask = main(["fuzz", *SMOKE, "--out", str(tmp_path / "dask"), "--cache-dir", str(cache_dir),
                    "--scheduler", "local:1"])
    here = json.loads((tmp_path / "here" / "summary.json").read_text())
    dask = json.loads((tmp_path / "dask" / "summary.json").read_text())
    assert _outcomes(dask) == _outcomes(here), (tmp_path / "dask" / "report.md").read_text()
    assert _outcomes(here)["models"] == 2 and rc_dask == rc_here
    assert here["cluster"] is None
    assert dask["cluster"]["scheduler"] == "local:1" and dask["cluster"]["workers"] == 1
    assert dask["cluster"]["tasks"] >= 2              # at least the pack on each device went to the worker
