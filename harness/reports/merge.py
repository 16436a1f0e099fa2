"""`brian2-harness merge A.json B.json ... --out ALL.json`: one results document from several runs.

Typical use: a CPU job and a GPU job each write `run --json`; the merge is what `report` and `junit` read.
Cells are concatenated in input order; each cell gets `extra['source']`, the label of the document it came
from. Environments are not mixed: the merged document has no single `environment` but a `sources` list
(label, file, status, environment, config, summary, seconds, required_missing) per input. Merging a merged
document keeps its sources. A cell that appears twice (same variant, device, dtype, case id) is an error.

Shards of one run (`run --shard K/N`) merge into the unsharded run's document instead (reports/shards.py).
Check documents (`check --json`, reports/check_document.py) merge with each other: scripts concatenated, each
labelled with its source.

Also home of `load_results(path)` and `load_any(path)` (either kind), the validating readers every consumer uses.
"""
from __future__ import annotations

import json
import os

from brian2_harness.atomic import write_output
from brian2_harness.cells.verdict import Verdict
from brian2_harness.documents import check_cells, check_format, check_results_fields, read_json
from brian2_harness.errors import UsageError
from brian2_harness.reports.check_document import (
    CHECK_FORMAT,
    is_check_document,
    merge_checks,
    validate_check,
)
from brian2_harness.reports.results import RESULTS_FORMAT, summarize


def validate_results(doc, where: str) -> dict:
    """Check the shape of a results document; raise a one-line `UsageError` naming `where` otherwise."""
    check_format(doc, where, "results document", RESULTS_FORMAT, "brian2-harness run --json")
    check_results_fields(doc, where)
    check_cells(doc.get("cells"), where)
    for k, c in enumerate(doc["cells"]):
        try:
            Verdict.from_dict(c)
        except TypeError as exc:
            raise UsageError(f"{where}: cell {k} has unexpected fields ({exc})") from None
    return doc


def load_any(path) -> tuple[str, dict]:
    """("check", document) or ("results", document) from a JSON file written by `check --json` or `run --json`."""
    where = f"results file '{os.fspath(path)}'"
    doc = read_json(path, where, "is not text (not a results document)")
    if is_check_document(doc):
        return "check", validate_check(doc, where)
    if isinstance(doc, list) and doc and all(isinstance(x, dict) and "script" in x and "verdict" in x for x in doc):
        raise UsageError(f"{where}: a list of check verdicts from an older brian2-harness; rerun `check --json` "
                         f"(it now writes a {CHECK_FORMAT!r} document)")
    return "results", validate_results(doc, where)


def load_results(path) -> dict:
    where = f"results file '{os.fspath(path)}'"
    return validate_results(read_json(path, where, "is not text (not a results document)"), where)


def sources_of(doc: dict, label: str = "", path: str = "") -> list[dict]:
    """The per-source records of a document: its `sources` if merged, else one built from its own fields."""
    if isinstance(doc.get("sources"), list):
        return [dict(s) for s in doc["sources"]]
    return [{
        "label": label or "results", "file": path, "status": doc.get("status"),
        "environment": doc.get("environment") or {}, "config": doc.get("config") or {},
        "summary": doc.get("summary") or {}, "seconds": doc.get("seconds"),
        "required_missing": doc.get("required_missing") or [],
    }]


def _unique(label: str, taken: set[str]) -> str:
    out, k = label, 2
    while out in taken:
        out, k = f"{label}-{k}", k + 1
    taken.add(out)
    return out


def cell_key(c: dict) -> tuple:
    return (c["variant"], c["device"], c["dtype"], c["case_id"])


def merge_documents(docs: list[tuple[str, dict]]) -> dict:
    """`docs`: (path, document) pairs, already validated. Raises `UsageError` on duplicate cells."""
    if not docs:
        raise UsageError("merge: no input documents")
    taken: set[str] = set()
    sources, cells, jobs = [], [], []
    seen: dict[tuple, str] = {}
    duplicates: list[str] = []
    for path, doc in docs:
        stem = os.path.splitext(os.path.basename(path))[0] or "results"
        renames = {}
        for src in sources_of(doc, stem, path):
            old = src.get("label") or stem
            src["label"] = _unique(old, taken)
            renames[old] = src["label"]
            sources.append(src)
        default_label = next(iter(renames.values()))
        for job in doc.get("jobs") or []:
            if isinstance(job, dict):
                jobs.append({**job, "source": renames.get(job.get("source"), default_label)})
        for c in doc["cells"]:
            c = dict(c)
            extra = dict(c.get("extra") or {})
            extra["source"] = renames.get(extra.get("source"), default_label)
            c["extra"] = extra
            key = cell_key(c)
            if key in seen:
                where = f"twice in {path}" if seen[key] == path else f"in {seen[key]} and {path}"
                duplicates.append(f"{'/'.join(key)} ({where})")
            else:
                seen[key] = path
            cells.append(c)
    if duplicates:
        shown = "; ".join(duplicates[:5]) + (f"; and {len(duplicates) - 5} more" if len(duplicates) > 5 else "")
        raise UsageError(f"merge: {len(duplicates)} duplicate cell(s) (same variant/device/dtype/case): {shown}")
    statuses = {s.get("status") for s in sources}
    verdicts = [Verdict.from_dict(c) for c in cells]
    return {
        "format": RESULTS_FORMAT,
        "status": "complete" if statuses == {"complete"} else "interrupted" if "interrupted" in statuses
        else "partial",
        "sources": sources,
        "summary": summarize(verdicts),
        "cells": cells,
        "jobs": jobs,
        "required_missing": sorted({d for s in sources for d in (s.get("required_missing") or [])}),
        "seconds": sum(float(s.get("seconds") or 0.0) for s in sources),
    }


def merge_files(paths: list[str], out: str) -> dict:
    real = [os.path.realpath(p) for p in paths]
    twice = sorted({p for p, r in zip(paths, real) if real.count(r) > 1})
    if twice:
        raise UsageError(f"merge: '{twice[0]}' is given more than once")
    loaded = [(p, *load_any(p)) for p in paths]
    kinds = {kind for _, kind, _ in loaded}
    if len(kinds) > 1:
        raise UsageError("merge: the inputs mix `run --json` results and `check --json` documents; merge each kind "
                         "separately")
    docs = [(p, doc) for p, _, doc in loaded]
    if kinds == {"check"}:
        merged = merge_checks(docs)
    else:
        from brian2_harness.reports.shards import is_shard, merge_shards
        sharded = [p for p, d in docs if is_shard(d)]
        if sharded and len(sharded) != len(docs):
            raise UsageError(f"merge: {sharded[0]} is a shard (run --shard) but "
                             f"{next(p for p, d in docs if not is_shard(d))} is not; merge the shards of one run alone")
        merged = merge_shards(docs) if sharded else merge_documents(docs)
    write_output(out, json.dumps(merged, indent=1), "merge: cannot write")
    return merged


def run(args) -> int:
    """The `merge` command (its options: cli/reports.py)."""
    out = os.path.abspath(args.out)
    if any(os.path.abspath(p) == out for p in args.inputs):
        raise UsageError(f"merge: --out '{args.out}' is also an input; choose another file")
    merged = merge_files(args.inputs, args.out)
    s = merged["summary"]
    if "scripts" in merged:
        print(f"merged {len(args.inputs)} check document(s): {s['scripts']} script(s) -> {args.out}")
        return 0
    kind = f"{len(merged['shards'])} shard(s)" if "shards" in merged else f"{len(merged['sources'])} source(s)"
    print(f"merged {len(args.inputs)} document(s), {kind}: {s['cells']} cells "
          f"({s['pass']} pass, {s['fail']} fail, {s['error']} error, {s['skip']} skip) -> {args.out}")
    return 0
