"""Shards back into one run: `merge` of the documents of `run --shard 1/N ... N/N` is the document the unsharded
run writes (cells in its order, one environment, no `sources`), apart from host and timing fields. Shards that ran
different Brian2, numpy or Python versions are refused (they are not one run).

`comparable(doc)` drops exactly those fields (where and how long things ran: environment, seconds, phases, build
cache counts, per-job timing, log paths); two documents of the same work, run sharded, on a cluster or locally,
are equal after it.
"""
from __future__ import annotations

import copy

from brian2_harness.cells.verdict import Verdict
from brian2_harness.errors import UsageError
from brian2_harness.reports.results import summarize
from brian2_harness.run.subset import cell_order
from brian2_harness.versions import NUMPY

TOP_HOST_TIMING = ("environment", "seconds", "phases", "build_cache", "scheduling", "slow_jobs", "cluster", "shards")
JOB_HOST_TIMING = ("seconds", "timing", "cache", "label")
CELL_HOST_TIMING = ("log",)
SAME_ENVIRONMENT = ("brian2", NUMPY, "python")     # shards that differ here are not one run
EXTRA_HOST_TIMING = ("replay", "case_file", "build_s", "compile_s", "compile_cpu_s")


def comparable(doc: dict) -> dict:
    """`doc` without host and timing fields (a copy)."""
    out = {k: copy.deepcopy(v) for k, v in doc.items() if k not in TOP_HOST_TIMING}
    for job in out.get("jobs") or []:
        for k in JOB_HOST_TIMING:
            job.pop(k, None)
    for c in out.get("cells") or []:
        for k in CELL_HOST_TIMING:
            c.pop(k, None)
        for k in EXTRA_HOST_TIMING:
            (c.get("extra") or {}).pop(k, None)
    return out


def is_shard(doc: dict) -> bool:
    return isinstance(doc.get("shard"), dict)


def _key(cell: dict) -> tuple:
    return (cell["variant"], cell["device"], cell["dtype"], cell["case_id"])


def _check_complete(docs: list[tuple[str, dict]]) -> int:
    n = docs[0][1]["shard"]["n"]
    ks = sorted(d["shard"]["k"] for _, d in docs)
    if any(d["shard"]["n"] != n for _, d in docs) or len(set(ks)) != len(ks):
        raise UsageError("merge: shards of different splits or the same shard twice: "
                         + ", ".join(f"{p} = {d['shard']['k']}/{d['shard']['n']}" for p, d in docs))
    missing = sorted(set(range(1, n + 1)) - set(ks))
    if missing:
        raise UsageError(f"merge: shard(s) {', '.join(f'{k}/{n}' for k in missing)} missing (given "
                         f"{', '.join(f'{k}/{n}' for k in ks)})")
    first = docs[0][1]
    for path, d in docs[1:]:
        if d.get("config") != first.get("config") or d["shard"]["plan"] != first["shard"]["plan"]:
            raise UsageError(f"merge: {path} is a shard of another run (its config or plan differs from "
                             f"{docs[0][0]}'s)")
        _same_environment(docs[0], (path, d))
    return n


def _same_environment(a: tuple[str, dict], b: tuple[str, dict]) -> None:
    """Shards merge into one run only when they ran the same Brian2, numpy and Python (one `environment`)."""
    env_a, env_b = (a[1].get("environment") or {}), (b[1].get("environment") or {})
    differ = [k for k in SAME_ENVIRONMENT if env_a.get(k) != env_b.get(k)]
    if differ:
        raise UsageError("merge: the shards ran in different environments (" + "; ".join(
            f"{k} {env_a.get(k)} in {a[0]}, {env_b.get(k)} in {b[0]}" for k in differ) + "): they are not one run; "
            "rerun them under one environment")


def merge_shards(docs: list[tuple[str, dict]]) -> dict:
    """`docs`: (path, validated shard document) for shards 1..N of one run."""
    _check_complete(docs)
    docs = sorted(docs, key=lambda pd: pd[1]["shard"]["k"])
    head = docs[0][1]["shard"]
    plan = [(v, d, t, b, tuple(cids)) for v, d, t, b, cids in head["plan"]]
    states = {tuple(s[:4]): s[4] for _, d in docs for s in d["shard"]["states"]}
    cells = {}
    for path, d in docs:
        for c in d["cells"]:
            if _key(c) in cells:
                raise UsageError(f"merge: cell {'/'.join(_key(c))} is in two shards")
            cells[_key(c)] = c
    order = cell_order(plan, states, set(head["reference_variants"]), head["skipped"])
    lacking = [k for k in order if k not in cells]
    if lacking:
        raise UsageError(f"merge: {len(lacking)} cell(s) of the plan in no shard, e.g. {'/'.join(lacking[0])}")
    index = {(v, d, t, b): k for k, (v, d, t, b, _) in enumerate(plan)}
    jobs = sorted((j for _, d in docs for j in d.get("jobs") or []),
                  key=lambda j: index.get((j["variant"], j["device"], j["dtype"], j["batch"]), len(index)))
    ordered = [cells[k] for k in order]
    statuses = {d.get("status") for _, d in docs}
    first = docs[0][1]
    rest = {k: v for k, v in first.items() if k not in ("shard", "cells", "jobs", "summary", "status")}
    return {**rest,
            "status": "complete" if statuses == {"complete"} else "interrupted",
            "summary": summarize([Verdict.from_dict(c) for c in ordered]),
            "cells": ordered,
            "jobs": jobs,
            "required_missing": sorted({m for _, d in docs for m in d.get("required_missing") or []}),
            "seconds": max(float(d.get("seconds") or 0.0) for _, d in docs),
            "build_cache": {k: sum((d.get("build_cache") or {}).get(k, 0) for _, d in docs)
                            for k in (first.get("build_cache") or {})},
            "slow_jobs": [s for _, d in docs for s in d.get("slow_jobs") or []],
            "shards": [{"k": d["shard"]["k"], "seconds": d.get("seconds"), "environment": d.get("environment")}
                       for _, d in docs]}

