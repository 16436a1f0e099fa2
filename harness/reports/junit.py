"""JUnit XML from a results document, for CI systems that display test reports.

One <testcase> per cell: classname `variant.device.dtype`, name readable on its own, e.g.
`summed_seed[cpp_standalone,float32] s1-0003 (12 syn, 4 post, 3 events)` (variant, device, dtype, case id
and the case's sizes when the document has them, `jobs[].case_sizes`). A failing cell carries <failure>,
an errored one <error>, a skipped or build-only one <skipped>, each with the reason. Cells are grouped into
one <testsuite> per classname; suite times are the worker seconds of that combination's jobs.

Testcase time: the cells of one job are simulated together in one worker process (one build, one run), so
a cell's time is its job's worker seconds (build + run + Python start-up) divided by the job's cases; the
times of a suite therefore add up to its suite time. Documents without per-job case lists (older ones)
spread each suite's seconds over its cells. Standard library only (xml.etree).
"""
from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from brian2_harness.cells.verdict import PASS
from brian2_harness.reports.junit_xml import clean, close_suite, finish, new_counts, outcome, write_tree
from brian2_harness.reports.merge import load_results


def classname(cell: dict) -> str:
    return f"{cell['variant']}.{cell['device']}.{cell['dtype']}"


def case_sizes(case) -> dict:
    """Key sizes of a case for its testcase name: synapses, post neurons, normalization events (+ spikes)."""
    sizes = {"syn": len(case.i), "post": int(case.n_post), "events": int(round(case.duration / case.period))}
    if hasattr(case, "pre_spikes"):
        sizes["spikes"] = len(case.pre_spikes) + len(case.post_spikes)
    return sizes


def testcase_name(cell: dict, sizes: dict | None = None) -> str:
    """`variant[device,dtype] case_id (12 syn, 4 post, 3 events)`."""
    name = f"{cell['variant']}[{cell['device']},{cell['dtype']}] {cell['case_id']}"
    if sizes:
        name += " (" + ", ".join(f"{v} {k}" for k, v in sizes.items()) + ")"
    return name


def _cell_seconds_and_sizes(results: dict) -> tuple[dict, dict]:
    """Per (variant, device, dtype, case id): seconds (job worker seconds / job cases) and case sizes."""
    seconds, sizes = {}, {}
    for job in results.get("jobs") or []:
        cases = job.get("cases")
        if not isinstance(cases, list) or not cases or not job.get("variant"):
            continue
        share = float(job["seconds"]) / len(cases) if isinstance(job.get("seconds"), (int, float)) else None
        case_sizes_ = job.get("case_sizes") or []
        for k, cid in enumerate(cases):
            key = (job["variant"], job["device"], job["dtype"], cid)
            if share is not None:
                seconds[key] = share
            if k < len(case_sizes_) and isinstance(case_sizes_[k], dict):
                sizes[key] = case_sizes_[k]
    return seconds, sizes


def _suite_seconds(results: dict) -> dict[str, float]:
    """Worker seconds per classname, from job labels 'variant x device x dtype (batch ...)'."""
    out: dict[str, float] = {}
    for job in results.get("jobs") or []:
        m = re.match(r"(\S+) x (\S+) x (\S+) \(", str(job.get("label", "")))
        if m and isinstance(job.get("seconds"), (int, float)):
            key = ".".join(m.groups())
            out[key] = out.get(key, 0.0) + float(job["seconds"])
    return out


def _details(cell: dict) -> str:
    lines = [f"reason: {cell.get('reason') or '-'}"]
    for key in ("reference", "max_abs_err", "max_rel_err", "tolerance", "boundary", "log"):
        if cell.get(key) not in (None, ""):
            lines.append(f"{key}: {cell[key]}")
    extra = cell.get("extra") or {}
    if extra.get("source"):
        lines.append(f"source: {extra['source']}")
    if isinstance(extra.get("case"), dict):
        import json
        lines.append("case: " + json.dumps(extra["case"]))
    return "\n".join(lines)


def junit_tree(results: dict, name: str = "brian2-harness") -> ET.ElementTree:
    cells = results.get("cells") or []
    seconds = _suite_seconds(results)
    cell_seconds, cell_sizes = _cell_seconds_and_sizes(results)
    per_suite: dict[str, int] = {}
    for cell in cells:
        per_suite[classname(cell)] = per_suite.get(classname(cell), 0) + 1
    root = ET.Element("testsuites", name=name)
    suites: dict[str, ET.Element] = {}
    stats: dict[str, dict] = {}
    for cell in cells:
        cls = classname(cell)
        if cls not in suites:
            suites[cls] = ET.SubElement(root, "testsuite", name=cls)
            stats[cls] = new_counts()
        key = (cell["variant"], cell["device"], cell["dtype"], cell["case_id"])
        t = cell_seconds.get(key)
        if t is None:   # no per-job case list: spread the suite's seconds over its cells
            t = seconds.get(cls, 0.0) / per_suite[cls]
        tc = ET.SubElement(suites[cls], "testcase", classname=cls,
                           name=clean(testcase_name(cell, cell_sizes.get(key))), time=f"{t:.6f}")
        outcome(tc, cell["verdict"], cell.get("reason"), _details(cell), stats[cls])
        if cell["verdict"] == PASS:
            extra = cell.get("extra") or {}
            props = [(k, cell.get(k)) for k in ("reference", "max_abs_err", "tolerance")] + \
                [("source", extra.get("source"))]
            props = [(k, v) for k, v in props if v not in (None, "")]
            if props:
                out = ET.SubElement(tc, "system-out")
                out.text = clean("\n".join(f"{k}: {v}" for k, v in props))
    total = new_counts()
    for cls, suite in suites.items():
        close_suite(suite, stats[cls], seconds.get(cls, 0.0), total)
    return finish(root, total, sum(seconds.values()))


def write_junit(results: dict, path) -> None:
    """Write JUnit XML for `results` to `path`, atomically."""
    write_tree(junit_tree(results), path)


def cmd_junit(args) -> int:
    """The `junit` command (its options: cli/reports.py)."""
    write_junit(load_results(args.results), args.out)
    print(f"junit: {args.out}")
    return 0
