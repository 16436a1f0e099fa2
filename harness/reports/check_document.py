"""Reading `check --json` documents (format ``brian2-harness-check/1``, docs/check-results.md) and merging them.

merge.py's `load_any` (what `report`, `junit` and `merge` call) validates a check document here, with one-line
usage errors naming the file and the field.
"""
from __future__ import annotations

import os

from brian2_harness.check.document import (
    CHECK_FORMAT,
    SCRIPT_VERDICTS,
    VERDICTS,
    summarize,
)
from brian2_harness.documents import check_check_fields, check_format
from brian2_harness.errors import UsageError

DEVICE_VERDICTS = VERDICTS
DIFFERENCE_FIELDS = ("observable", "index", "time", "device_value", "reference_value", "unit")


def is_check_document(doc) -> bool:
    return isinstance(doc, dict) and str(doc.get("format", "")).startswith("brian2-harness-check/")


def _check_device(where: str, name, d) -> None:
    if not isinstance(d, dict):
        raise UsageError(f"{where}: device '{name}' must be an object")
    if d.get("verdict") not in DEVICE_VERDICTS:
        raise UsageError(f"{where}: device '{name}' has verdict {d.get('verdict')!r}, expected one of "
                         f"{', '.join(DEVICE_VERDICTS)}")
    first = d.get("first_difference")
    if first is not None:
        if not isinstance(first, dict):
            raise UsageError(f"{where}: device '{name}': 'first_difference' must be an object or null")
        missing = [k for k in DIFFERENCE_FIELDS if k not in first]
        if missing:
            raise UsageError(f"{where}: device '{name}': 'first_difference' lacks '{missing[0]}'")


def validate_check(doc, where: str) -> dict:
    check_format(doc, where, "check document", CHECK_FORMAT, "brian2-harness check --json")
    scripts = doc.get("scripts")
    if not isinstance(scripts, list):
        raise UsageError(f"{where}: 'scripts' must be a list")
    for k, s in enumerate(scripts):
        w = f"{where}: script {k}"
        if not isinstance(s, dict) or not isinstance(s.get("script"), str):
            raise UsageError(f"{w} lacks 'script' (a string)")
        if s.get("verdict") not in SCRIPT_VERDICTS:
            raise UsageError(f"{w} has verdict {s.get('verdict')!r}, expected one of {', '.join(SCRIPT_VERDICTS)}")
        if not isinstance(s.get("devices"), dict):
            raise UsageError(f"{w}: 'devices' must be an object")
        for name, d in s["devices"].items():
            _check_device(w, name, d)
    check_check_fields(doc, where)
    return doc


def merge_checks(docs: list[tuple[str, dict]]) -> dict:
    """One check document from several (e.g. a CPU and a GPU job): scripts concatenated, each labelled with its
    source; environments kept per source. A script checked in two inputs is kept twice, once per source."""
    sources, scripts = [], []
    for path, doc in docs:
        label = os.path.splitext(os.path.basename(path))[0] or "check"
        for src in doc.get("sources") or [{"label": label, "file": path, "environment": doc.get("environment"),
                                           "config": doc.get("config"), "status": doc.get("status"),
                                           "summary": doc.get("summary"),
                                           "required_missing": doc.get("required_missing") or []}]:
            sources.append(src)
        for s in doc["scripts"]:
            scripts.append({**s, "source": s.get("source") or label})
    return {"format": CHECK_FORMAT, "status": "complete" if all(s.get("status") == "complete" for s in sources)
            else "partial", "sources": sources, "summary": summarize(scripts),
            "required_missing": sorted({d for s in sources for d in (s.get("required_missing") or [])}),
            "scripts": scripts}
