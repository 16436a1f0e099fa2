"""The baseline file: every observable of a corpus run, with a manifest; written atomically, read defensively.

    brian2-harness record --corpus CORPUS.json --out BASELINE.npz [--variants ...] [--devices ...] [--dtype ...]
    brian2-harness compare BASELINE.npz [--corpus CORPUS.json] [--json OUT] [--markdown OUT]

A baseline is one compressed `.npz` (written atomically: temp file + rename) holding

* `manifest`: UTF-8 JSON (a uint8 array) with the format ("brian2-harness-baseline/1"), the environment it was
  recorded in (Python, numpy, Brian2, brian2cuda, compilers), the variants (family, semantics, private Brian
  API they rely on), the result of the private-API probe, the whole corpus, and one record per cell
  (variant, device, dtype, case id, verdict, reason, error and tolerance against the oracle, names of its arrays);
* the raw observables of every cell that ran, one array per observable and cell (`c00012_0`, ...):
  growth `w_before`/`w_after` (events x synapses of that case), metaplastic `w`, `A_minus`, `r`,
  `pre_count`, `post_count`, custom variants whatever `observe()` returned. Arrays keep the model dtype.

`compare` reruns the baseline's cells (same corpus, variants, devices, dtypes) with what is installed now and
classifies each cell (see STATUSES). Values are compared with the family's own comparison and tolerance
(`Family.compare` against the baseline, with the oracle of the variant's semantics supplying the tolerance and
the clip-boundary band), i.e. the same bound that decides whether two devices agree.

Exit codes: `record` 0 when every cell passed (1 if some failed or errored: the baseline is still written, and
those cells can only be compared by verdict); `compare` 1 on any change beyond tolerance, new failure, new error,
cell no longer available, or a private Brian attribute that is no longer honoured; 0 otherwise; both 2 for
usage errors (including unreadable, truncated or foreign baseline/corpus files).
"""
from __future__ import annotations

import datetime
import io
import json
import os
import zipfile
import zlib
from dataclasses import dataclass

import numpy as np

from brian2_harness import registry
from brian2_harness.atomic import write_output
from brian2_harness.cells.verdict import FAIL, PASS
from brian2_harness.check.record_read import check_headers
from brian2_harness.documents import check_cells, check_format
from brian2_harness.errors import UsageError
from brian2_harness.families import get_family
from brian2_harness.reports.results import summarize
from brian2_harness.upgrade.corpus import Corpus, corpus_from_document

BASELINE_FORMAT = "brian2-harness-baseline/1"
COMPARISON_FORMAT = "brian2-harness-comparison/1"
MANIFEST = "manifest"
DEFAULT_DTYPES = ("float64", "float32")



def cells_from_result(result) -> dict:
    """(variant, device, dtype, case id) -> (Verdict, arrays or None) for every cell of a `RunResult`."""

    arrays: dict[tuple, dict] = {}
    for job in result.jobs:
        if job.arrays is None or job.built or getattr(job, "mode", "run") != "run":
            continue
        family = get_family(job.variant.family)
        try:
            per_case = family.split(job.cases, job.arrays)
        except Exception:   # arrays of the wrong shape: the verdict (error/fail) says what happened
            continue
        for cid, obs in zip(job.case_ids, per_case):
            arrays[(job.variant.name, job.device, job.dtype, cid)] = {
                k: np.array(v, copy=True) for k, v in family.encode(obs).items()}   # copies: views of a batch
    out = {}
    for v in result.verdicts:
        key = (v.variant, v.device, v.dtype, v.case_id)
        out[key] = (v, arrays.get(key) if v.verdict in (PASS, FAIL) else None)
    return out


# --- baseline files --------------------------------------------------------------------------------------

@dataclass
class Baseline:
    manifest: dict
    arrays: dict            # cell index -> {observable name: array}
    corpus: Corpus
    path: str = ""

    @property
    def cells(self) -> list[dict]:
        return self.manifest["cells"]

    @property
    def environment(self) -> dict:
        return self.manifest.get("environment") or {}


def _variant_info(v) -> dict:
    return {"family": v.family, "semantics": v.semantics, "description": v.description, "source": v.source,
            "devices": list(v.devices) if v.devices else None, "private_api": list(getattr(v, "private_api", ()))}


def build_baseline(result, corpus: Corpus, config: dict, *, environment: dict | None = None,
                   private_api: dict | None = None, seconds: float | None = None) -> Baseline:
    """A baseline from a finished `RunResult` (no I/O, no Brian): cells in verdict order, arrays per cell."""

    found = cells_from_result(result)
    cells, arrays = [], {}
    for k, v in enumerate(result.verdicts):
        key = (v.variant, v.device, v.dtype, v.case_id)
        obs = found[key][1]
        variant = registry.get(v.variant)
        cell = {"variant": v.variant, "device": v.device, "dtype": v.dtype, "case_id": v.case_id,
                "family": variant.family, "verdict": v.verdict, "reason": v.reason, "reference": v.reference,
                "max_abs_err": v.max_abs_err, "tolerance": v.tolerance, "arrays": {}}
        if obs is not None:
            arrays[k] = obs
            cell["arrays"] = {name: f"c{k:05d}_{m}" for m, name in enumerate(obs)}
        cells.append(cell)
    names = sorted({c["variant"] for c in cells} | set(config.get("variants", [])))
    manifest = {
        "format": BASELINE_FORMAT,
        "created": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "environment": environment or {},
        "config": config,
        "variants": {n: _variant_info(registry.get(n)) for n in names},
        "private_api": private_api or {},
        "corpus": corpus.to_document(),
        "summary": summarize(result.verdicts),
        "seconds": seconds,
        "cells": cells,
    }
    return Baseline(manifest, arrays, corpus)


def write_baseline(baseline: Baseline, path) -> None:
    """One compressed .npz, manifest included, written atomically (never half a file)."""
    members = {MANIFEST: np.frombuffer(json.dumps(baseline.manifest, indent=None).encode("utf-8"), dtype=np.uint8)}
    for k, cell in enumerate(baseline.cells):
        for name, key in cell["arrays"].items():
            a = np.asarray(baseline.arrays[k][name])
            if a.dtype == object:
                raise UsageError(f"cell {cell['variant']}/{cell['device']}/{cell['dtype']}/{cell['case_id']}: "
                                 f"observable '{name}' is not a numeric array; cannot store it")
            members[key] = a
    buf = io.BytesIO()
    np.savez_compressed(buf, **members)
    write_output(path, buf.getvalue(), "cannot write baseline")


def _validate_manifest(m, where: str) -> dict:
    if not isinstance(m, dict):
        raise UsageError(f"{where}: the manifest is {type(m).__name__}, expected an object (not a baseline)")
    check_format(m, where, "baseline", BASELINE_FORMAT, "brian2-harness record")
    check_cells(m.get("cells"), where, object_fields=("arrays",))
    if not isinstance(m.get("config", {}), dict) or not isinstance(m.get("variants", {}), dict):
        raise UsageError(f"{where}: manifest 'config' and 'variants' must be objects")
    return m


def load_baseline(path) -> Baseline:
    """Read and validate a baseline; every problem is one `UsageError` line naming the file."""
    path = os.fspath(path)
    where = f"baseline file '{path}'"
    if not os.path.exists(path):
        raise UsageError(f"{where} does not exist")
    if os.path.isdir(path):
        raise UsageError(f"{where} is a directory")
    try:
        with open(path, "rb") as f:
            head = f.read(8)
    except OSError as exc:
        raise UsageError(f"{where}: {exc.strerror or exc}") from None
    if not head:
        raise UsageError(f"{where} is empty (not a baseline)")
    if not head.startswith(b"PK"):
        looks = " (it looks like JSON text: a corpus or results file?)" if head.lstrip()[:1] in (b"{", b"[") else ""
        raise UsageError(f"{where} is not a readable baseline archive (not an .npz/zip file){looks}; "
                         f"write one with `brian2-harness record`")
    check_headers(path, where, False)   # an array header claiming more than the file holds: one line, no allocation
    try:
        z = np.load(path, allow_pickle=False)
    except (zipfile.BadZipFile, ValueError, EOFError, OSError, zlib.error) as exc:
        raise UsageError(f"{where} is not a readable baseline archive (truncated or corrupt, or not written by "
                         f"`brian2-harness record`): {type(exc).__name__}: {exc}") from None
    if not isinstance(z, np.lib.npyio.NpzFile):
        raise UsageError(f"{where} is a single .npy array, not a baseline (write one with `brian2-harness record`)")
    members: dict = {}
    with z:
        if MANIFEST not in z.files:
            raise UsageError(f"{where} is an .npz archive without a manifest: not a brian2-harness baseline")
        for key in z.files:
            try:
                members[key] = z[key]
            except (zipfile.BadZipFile, ValueError, EOFError, OSError, zlib.error, KeyError) as exc:
                raise UsageError(f"{where} is corrupt: member '{key}' cannot be read "
                                 f"({type(exc).__name__}: {exc})") from None
    raw = members.pop(MANIFEST)
    try:
        manifest = json.loads(raw.tobytes().decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError, ValueError, RecursionError) as exc:
        raise UsageError(f"{where}: the manifest is not valid JSON (corrupt): {exc}") from None
    manifest = _validate_manifest(manifest, where)
    corpus = corpus_from_document(manifest.get("corpus"), f"{where}: embedded corpus")
    arrays: dict[int, dict] = {}
    for k, c in enumerate(manifest["cells"]):
        if c["verdict"] in (PASS, FAIL) and c.get("arrays"):
            try:
                arrays[k] = {name: members[key] for name, key in c["arrays"].items()}
            except KeyError as exc:
                raise UsageError(f"{where} is incomplete: cell {k} ({c['variant']}/{c['device']}/{c['dtype']}/"
                                 f"{c['case_id']}) names array {exc} which is not in the archive") from None
        if c.get("family") in corpus.cases:
            try:
                corpus.case(c["family"], c["case_id"])
            except KeyError:
                raise UsageError(f"{where}: cell {k} refers to {c['family']} case '{c['case_id']}', "
                                 f"which is not in its corpus") from None
    return Baseline(manifest, arrays, corpus, path)


