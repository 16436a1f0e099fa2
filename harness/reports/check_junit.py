"""JUnit XML from a `check` document: one <testsuite> per script, one <testcase> per device.

Each testcase carries <properties>: verdict, mode, reference, seeds (the seeds it ran), power (the smallest
difference each statistic could detect, statistical mode) and the first difference's fields. A failing device
has <failure>, an erroring one <error>; skipped and built-only devices (and a required device that did not run,
which the document already marks as failing) follow their verdict. Standard library only (xml.etree).
"""
from __future__ import annotations

import json
import os
import xml.etree.ElementTree as ET

from brian2_harness.reports.junit_xml import clean, close_suite, finish, new_counts, outcome, write_tree


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
            ET.SubElement(props, "property", name=k, value=clean(v))


def check_junit_tree(doc: dict, name: str = "brian2-harness check") -> ET.ElementTree:
    root = ET.Element("testsuites", name=name)
    total = new_counts()
    for script in doc["scripts"]:
        label = os.path.basename(script["script"]) + (f" ({script['source']})" if script.get("source") else "")
        suite = ET.SubElement(root, "testsuite", name=clean(label))
        counts = new_counts()
        for device, d in script["devices"].items():
            tc = ET.SubElement(suite, "testcase", classname=clean(label), name=clean(f"{label}[{device}]"),
                               time=f"{float(d.get('seconds') or 0.0):.3f}")
            _properties(tc, script, d)
            first = d.get("first_difference")
            details = json.dumps(first, default=str) if d["verdict"] == "fail" and first else None
            outcome(tc, d["verdict"], d.get("reason"), details, counts)
        close_suite(suite, counts, float(script.get("seconds") or 0.0), total)
    return finish(root, total)


def write_check_junit(doc: dict, path) -> None:
    write_tree(check_junit_tree(doc), path)
