"""The files the harness reads back (results, corpus, baseline manifest): one way to read JSON, check a format tag
and check the cells, each problem a one-line `UsageError` naming the file and what is wrong."""
from __future__ import annotations

import json
import os

from brian2_harness.cells.verdict import VERDICTS
from brian2_harness.errors import UsageError

CELL_KEYS = ("variant", "device", "dtype", "case_id", "verdict")

# JSON types of the optional fields, checked on load so that a wrong type is one line here and never a traceback
# (or a silently merged document) later. Names: string, number, integer, boolean, object, array, null.
CELL_FIELDS = {
    "reference": "string", "reason": "string", "log": "string", "extra": "object",
    "max_abs_err": "number|null", "max_rel_err": "number|null", "tolerance": "number|null", "ratio": "number|null",
    "boundary": "integer", "judged": "integer", "lag_visible": "boolean|null",
    "detection_limit": "object|null", "first": "object|null", "family": "string", "arrays": "object",
}
RESULTS_FIELDS = {
    "status": "string", "environment": "object|null", "config": "object|null", "summary": "object",
    "seconds": "number|null", "jobs": "array", "sources": "array", "required_missing": "array",
    "phases": "object|null", "build_cache": "object|null", "scheduling": "object|null", "slow_jobs": "array|null",
}
SOURCE_FIELDS = {
    "label": "string", "file": "string", "status": "string|null", "environment": "object|null",
    "config": "object|null", "summary": "object|null", "seconds": "number|null", "required_missing": "array|null",
}
CHECK_FIELDS = {
    "status": "string", "environment": "object|null", "config": "object|null", "summary": "object",
    "required_missing": "array", "scripts": "array", "sources": "array",
}
CHECK_SCRIPT_FIELDS = {
    "script": "string", "verdict": "string", "label": "string", "reason": "string", "reference": "string|null",
    "mode": "string|null", "seconds": "number|null", "random_sources": "array", "notes": "array", "devices": "object",
    "pairs": "object", "stat": "object|null", "status": "string", "required_missing": "array", "source": "string",
    "kept": "array",
}
CHECK_DEVICE_FIELDS = {
    "verdict": "string", "label": "string", "reason": "string", "seconds": "number|null", "seeds": "array",
    "timers": "array", "first_difference": "object|null", "headroom": "array", "power": "array",
}
_JSON_TYPES = {"string": str, "object": dict, "array": list, "boolean": bool, "null": type(None)}


def json_type(value) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    return next((name for name, t in _JSON_TYPES.items() if isinstance(value, t)), type(value).__name__)


def _fits(value, expected: str) -> bool:
    got = json_type(value)
    return any(got == name or (name == "number" and got == "integer") for name in expected.split("|"))


def check_fields(obj: dict, where: str, schema: dict) -> None:
    """Each field of `schema` present in `obj` has its JSON type; else one line naming the field."""
    for name, expected in schema.items():
        if name in obj and not _fits(obj[name], expected):
            raise UsageError(f"{where}: '{name}' is {json_type(obj[name])} {obj[name]!r:.40}, expected "
                             f"{expected.replace('|', ' or ')}")


def _check_summary_and_sources(doc: dict, where: str) -> None:
    """What both kinds of document share: integer `summary` counts and `sources` records."""
    for name, count in (doc.get("summary") or {}).items():
        if not _fits(count, "integer"):
            raise UsageError(f"{where}: 'summary.{name}' is {json_type(count)} {count!r:.40}, expected integer")
    for k, src in enumerate(doc.get("sources") or []):
        if not isinstance(src, dict):
            raise UsageError(f"{where}: 'sources[{k}]' is {json_type(src)}, expected object")
        check_fields(src, f"{where}: sources[{k}]", SOURCE_FIELDS)


def check_results_fields(doc: dict, where: str) -> None:
    """The top-level fields of a results document, its `summary` counts and its `sources` records."""
    check_fields(doc, where, RESULTS_FIELDS)
    _check_summary_and_sources(doc, where)
    for k, job in enumerate(doc.get("jobs") or []):
        if not isinstance(job, dict):
            raise UsageError(f"{where}: 'jobs[{k}]' is {json_type(job)}, expected object")


def check_check_fields(doc: dict, where: str) -> None:
    """The field types of a check document (`check --json`), its summary counts, sources, scripts and devices."""
    check_fields(doc, where, CHECK_FIELDS)
    _check_summary_and_sources(doc, where)
    for k, script in enumerate(doc.get("scripts") or []):
        if isinstance(script, dict):
            check_fields(script, f"{where}: script {k}", CHECK_SCRIPT_FIELDS)
            for name, dev in (script.get("devices") or {}).items():
                if isinstance(dev, dict):
                    check_fields(dev, f"{where}: script {k}: device '{name}'", CHECK_DEVICE_FIELDS)


def read_json(path, where: str, not_text: str = "is not text") -> object:
    path = os.fspath(path)
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    except FileNotFoundError:
        raise UsageError(f"{where} does not exist") from None
    except IsADirectoryError:
        raise UsageError(f"{where} is a directory") from None
    except UnicodeDecodeError:
        raise UsageError(f"{where} {not_text}") from None
    except OSError as exc:
        raise UsageError(f"{where}: {exc.strerror or exc}") from None
    if not text.strip():
        raise UsageError(f"{where} is empty")
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise UsageError(f"{where} is not valid JSON (truncated or corrupt?): {exc}") from None
    except RecursionError:
        raise UsageError(f"{where} is nested too deeply to be a brian2-harness document") from None


def check_format(doc, where: str, kind: str, expected: str, writer: str) -> None:
    """`doc` is an object whose format tag is `expected` (a newer or older version of it is named as such)."""
    if not isinstance(doc, dict):
        raise UsageError(f"{where}: not a brian2-harness {kind} (top level is {type(doc).__name__}, "
                         f"expected an object)")
    fmt = doc.get("format")
    prefix = expected.rsplit("/", 1)[0] + "/"
    if isinstance(fmt, str) and fmt.startswith(prefix) and fmt != expected:
        raise UsageError(f"{where}: {kind} format {fmt!r} is not supported by this brian2-harness "
                         f"(it reads {expected!r})")
    if fmt != expected:
        raise UsageError(f"{where}: format is {fmt!r}, expected {expected!r} (write one with `{writer}`)")


def check_cells(cells, where: str, *, object_fields=("extra",)) -> None:
    """A list of cell objects with the key fields as strings and a known verdict."""
    if not isinstance(cells, list):
        raise UsageError(f"{where}: 'cells' must be a list")
    for k, c in enumerate(cells):
        if not isinstance(c, dict):
            raise UsageError(f"{where}: cell {k} is {type(c).__name__}, expected an object")
        missing = [key for key in CELL_KEYS if not isinstance(c.get(key), str)]
        if missing:
            raise UsageError(f"{where}: cell {k} lacks '{missing[0]}' (a string)")
        if c["verdict"] not in VERDICTS:
            raise UsageError(f"{where}: cell {k} has verdict {c['verdict']!r}, expected one of {', '.join(VERDICTS)}")
        for name in object_fields:
            if not isinstance(c.get(name, {}), dict):
                raise UsageError(f"{where}: cell {k}: '{name}' must be an object")
        check_fields(c, f"{where}: cell {k}", CELL_FIELDS)
