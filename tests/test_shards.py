"""`run --shard K/N` + `merge` and `run --resume` give the document of one uninterrupted, unsharded run (apart from
host and timing fields)."""
from __future__ import annotations

import json

import pytest
from brian2_harness.cli import main
from brian2_harness.reports.shards import comparable
from brian2_harness.run.subset import split


def _run_args(cache_dir) -> list[str]:
    return ["run", "--variants", "summed_aligned,summed_seed", "--devices", "numpy,cpp_standalone", "--dtype",
            "float64,float32", "--cases", "2", "--seed", "4", "--quiet",
            "--cache-dir", str(cache_dir)]


def _doc(path) -> dict:
    with open(path) as f:
        return json.load(f)


@pytest.fixture(scope="module")
def unsharded(tmp_path_factory, cache_dir):
    out = tmp_path_factory.mktemp("unsharded") / "all.json"
    assert main(_run_args(cache_dir) + ["--json", str(out)]) == 0
    return out


@pytest.mark.brian
def test_three_shards_merged_are_the_unsharded_run(unsharded, tmp_path, cache_dir):
    parts = []
    for k in (1, 2, 3):
        parts.append(str(tmp_path / f"s{k}.json"))
        assert main(_run_args(cache_dir) + ["--shard", f"{k}/3", "--json", parts[-1]]) == 0
    sizes = [len(_doc(p)["cells"]) for p in parts]
    assert all(sizes) and sum(sizes) == len(_doc(unsharded)["cells"])
    assert main(["merge", *reversed(parts), "--out", str(tmp_path / "merged.json")]) == 0
    assert comparable(_doc(tmp_path / "merged.json")) == comparable(_doc(unsharded))
    assert main(["merge", *parts[:2], "--out", str(tmp_path / "two.json")]) == 2          # shard 3/3 missing
    assert main(["merge", parts[0], str(unsharded), "--out", str(tmp_path / "mixed.json")]) == 2


def _interrupt(doc: dict, device: str, dtype: str) -> dict:
    """`doc` as an interrupted run would have written it: the jobs of (device, dtype) never ran."""
    doc = json.loads(json.dumps(doc))
    hit = set()
    for j in doc["jobs"]:
        if (j["device"], j["dtype"]) == (device, dtype):
            j["error"] = "not run: interrupted"
            hit |= {(j["variant"], device, dtype, cid) for cid in j["cases"]}
    cells = [c if (c["variant"], c["device"], c["dtype"], c["case_id"]) not in hit else
             {**{k: c[k] for k in ("variant", "device", "dtype", "case_id")}, "verdict": "error",
              "reason": "not run: interrupted"} for c in doc["cells"]]
    doc["cells"] = [c for c in cells if c["verdict"] == "error"] + [c for c in cells if c["verdict"] != "error"]
    doc["status"] = "interrupted"
    return doc


@pytest.mark.brian
def test_a_resumed_run_is_the_uninterrupted_run(unsharded, tmp_path, cache_dir):
    previous = tmp_path / "interrupted.json"
    previous.write_text(json.dumps(_interrupt(_doc(unsharded), "cpp_standalone", "float32")))
    out = tmp_path / "resumed.json"
    assert main(_run_args(cache_dir) + ["--resume", str(previous), "--json", str(out)]) == 0
    assert comparable(_doc(out)) == comparable(_doc(unsharded))
    assert main(_run_args(cache_dir)[:-2] + ["--seed", "5", "--resume", str(previous)]) == 2   # another run


def test_a_shard_split_takes_whole_build_families():
    from types import SimpleNamespace as NS
    jobs = [NS(variant=NS(name=v, semantics="aligned"), device=d, dtype=t, batch=b, cases=[NS(dt=dt)] * 2, mode="run")
            for v in ("v1", "v2") for d in ("numpy", "cpp_standalone") for t in ("float64", "float32")
            for b, dt in ((0, 1e-4), (1, 5e-5))]
    where = split(jobs, 3, None)
    assert set(where.values()) == {1, 2, 3}
    for a in jobs:
        for b in jobs:
            if (a.device, a.dtype, a.cases[0].dt) == (b.device, b.dtype, b.cases[0].dt):
                assert where[id(a)] == where[id(b)]
    assert split(jobs, 3, None) == where


@pytest.mark.parametrize("bad", ["0/3", "4/3", "x", "1/0"])
def test_a_bad_shard_is_a_usage_error(bad, capsys, cache_dir):
    assert main(_run_args(cache_dir) + ["--shard", bad]) == 2
    assert "--shard" in capsys.readouterr().err


def test_cluster_placement_keeps_a_build_family_on_one_worker():
    from types import SimpleNamespace as NS

    from brian2_harness.run.cluster import place
    jobs = [NS(variant=NS(name=v), device=d, dtype=t, batch=0, cases=[NS(dt=1e-4)] * 3, mode="run")
            for v in ("v1", "v2", "v3") for d in ("numpy", "cpp_standalone") for t in ("float64", "float32")]
    where = place(jobs, ["tcp://a:1", "tcp://b:1"], True, lambda d: d != "numpy")
    assert set(where.values()) == {"tcp://a:1", "tcp://b:1"}
    for t in ("float64", "float32"):
        assert len({where[id(j)] for j in jobs if (j.device, j.dtype) == ("cpp_standalone", t)}) == 1


def test_comparable_drops_host_and_timing_fields_only():
    cell = {"variant": "v", "device": "numpy", "dtype": "float64", "case_id": "c0", "verdict": "pass",
            "log": "/tmp/a/worker.log", "extra": {"replay": "x", "vs_numpy_max_abs_err": 0.0}}
    doc = {"format": "f", "seconds": 1.0, "environment": {"platform": "a"}, "cells": [cell],
           "jobs": [{"variant": "v", "seconds": 2.0, "timing": {"run_s": 1}, "error": ""}]}
    other = json.loads(json.dumps(doc))
    other["seconds"], other["environment"], other["cells"][0]["log"] = 9.0, {"platform": "b"}, "host:/x"
    other["jobs"][0]["timing"] = {"worker": "h"}
    assert comparable(other) == comparable(doc)
    for change in (("verdict", "fail"), ("case_id", "c1")):          # negative controls: results do count
        bad = json.loads(json.dumps(doc))
        bad["cells"][0][change[0]] = change[1]
        assert comparable(bad) != comparable(doc)
    bad = json.loads(json.dumps(doc))
    bad["jobs"][0]["error"] = "crashed"
    assert comparable(bad) != comparable(doc)
