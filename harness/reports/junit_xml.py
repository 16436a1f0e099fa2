"""The JUnit XML both writers share (run's cells in junit.py, check's devices in check_junit.py): clean text,
one testcase's outcome element from a verdict, suite and total counts, the atomic write. Standard library only."""
from __future__ import annotations

import io
import re
import xml.etree.ElementTree as ET

from brian2_harness.atomic import write_output
from brian2_harness.cells.verdict import BUILT, ERROR, FAIL, SKIP

MESSAGE_CHARS = 500
COUNTS = ("tests", "failures", "errors", "skipped")
# characters XML 1.0 cannot carry, even escaped
_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def clean(text) -> str:
    return _ILLEGAL.sub("\ufffd", "" if text is None else str(text))


def new_counts() -> dict:
    return dict.fromkeys(COUNTS, 0)


def outcome(tc: ET.Element, verdict: str, reason, details, counts: dict) -> None:
    """The failure / error / skipped element of testcase `tc` for `verdict` ("fail", "error", "skip", "built",
    anything else passes), counted in `counts`. `details`: the element text of a failure or error."""
    reason = clean(reason or verdict)
    message = reason if len(reason) <= MESSAGE_CHARS else reason[:MESSAGE_CHARS - 3] + "..."
    counts["tests"] += 1
    if verdict == FAIL:
        ET.SubElement(tc, "failure", message=message, type="mismatch").text = clean(details or reason)
        counts["failures"] += 1
    elif verdict == ERROR:
        ET.SubElement(tc, "error", message=message, type="error").text = clean(details or reason)
        counts["errors"] += 1
    elif verdict in (SKIP, BUILT):
        prefix = "built only, not run: " if verdict == BUILT else ""
        ET.SubElement(tc, "skipped", message=clean(prefix + message))
        counts["skipped"] += 1


def close_suite(suite: ET.Element, counts: dict, seconds: float, total: dict) -> None:
    for k in COUNTS:
        suite.set(k, str(counts[k]))
        total[k] += counts[k]
    suite.set("time", f"{seconds:.3f}")


def finish(root: ET.Element, total: dict, seconds: float | None = None) -> ET.ElementTree:
    for k in COUNTS:
        root.set(k, str(total[k]))
    if seconds is not None:
        root.set("time", f"{seconds:.3f}")
    ET.indent(root, space=" ")
    return ET.ElementTree(root)


def write_tree(tree: ET.ElementTree, path) -> None:
    """Write `tree` to `path` atomically."""
    buf = io.BytesIO()
    tree.write(buf, encoding="utf-8", xml_declaration=True)
    write_output(path, buf.getvalue(), "JUnit file")
