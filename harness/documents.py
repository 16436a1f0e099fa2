"""The files the harness reads back (results, corpus, baseline manifest): one way to read JSON, check a format tag
and check the cells, each problem a one-line `UsageError` naming the file and what is wrong."""
from __future__ import annotations

import json
import os

from brian2_harness.cells.verdict import VERDICTS
from brian2_harness.errors import UsageError

CELL_KEYS = ("variant", "device", "dtype", "case_id", "verdict")


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
