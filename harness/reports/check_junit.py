"""JUnit XML from a `check` document: one <testsuite> per script, one <testcase> per device.

Each testcase carries <properties>: verdict, mode, reference, seeds (the seeds it ran), power (the smallest
difference each statistic could detect, statistical mode) and the first difference's fields. A failing device
has <failure>, an erroring one <error>; skipped and built-only devices (and a required device that did not run,
which the document already marks as failing) follow their verdict. Standard library only (xml.etree).
"""
from __future__ import annotations

import io
import json
import os
import xml.etree.ElementTree as ET

from brian2_harness.atomic import write_output
from brian2_harness.reports.junit import MESSAGE_CHARS, _clean


def _properties(tc, script: dict, d: dict) -> None:
    props = ET.SubElement(tc, "properties")
    first = d.get("first_difference") or {}
    items = [("verdict", d["verdict"]), ("mode", script.get("mode")), ("reference", script.get("reference")),
             ("seeds", ",".join(str(s) for s in d.get("seeds") or [])),
             ("power", "; ".join(f"{p['statistic']}: {p['detectable']:.4g} {p.get('unit') or ''}".strip()
                                 for p in d.get("power") or [] if p.get("detectable") is not None))]
    items += [(f"first_difference.{k}", first.get(k)) for k in ("observable", "index", "time", "device_value",
                                                               "reference_value", "unit") if first]
    for k, v in items:
        if v not in (None, ""):
            ET.SubElement(props, "property", name=k, value=_clean(v))


def check_junit_tree(doc: dict, name: str = "brian2-harness check") -> ET.ElementTree:
    root = ET.Element("testsuites", name=name)
    total = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    for script in doc["scripts"]:
        label = os.path.basename(script["script"]) + (f" ({script['source']})" if script.get("source") else "")
        suite = ET.SubElement(root, "testsuite", name=_clean(label))
        counts = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
        for device, d in script["devices"].items():
            tc = ET.SubElement(suite, "testcase", classname=_clean(label), name=_clean(f"{label}[{device}]"),
                               time=f"{float(d.get('seconds') or 0.0):.3f}")
            _properties(tc, script, d)
            reason = _clean(d.get("reason") or d["verdict"])
            message = reason if len(reason) <= MESSAGE_CHARS else reason[:MESSAGE_CHARS - 3] + "..."
            counts["tests"] += 1
            if d["verdict"] == "fail":
                el = ET.SubElement(tc, "failure", message=message, type="mismatch")
                el.text = _clean(json.dumps(d.get("first_difference"), default=str) if d.get("first_difference")
                                 else reason)
                counts["failures"] += 1
            elif d["verdict"] == "error":
                ET.SubElement(tc, "error", message=message, type="error").text = reason
                counts["errors"] += 1
            elif d["verdict"] in ("skip", "built"):
                ET.SubElement(tc, "skipped", message=_clean(("built only, not run: " if d["verdict"] == "built"
                                                             else "") + message))
                counts["skipped"] += 1
        for k, v in counts.items():
            suite.set(k, str(v))
            total[k] += v
        suite.set("time", f"{float(script.get('seconds') or 0.0):.3f}")
    for k, v in total.items():
        root.set(k, str(v))
    ET.indent(root, space=" ")
    return ET.ElementTree(root)


def write_check_junit(doc: dict, path) -> None:
    buf = io.BytesIO()
    check_junit_tree(doc).write(buf, encoding="utf-8", xml_declaration=True)
    write_output(path, buf.getvalue(), "JUnit file")
