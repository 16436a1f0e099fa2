"""Regression check before a Brian2 upgrade: record every observable of a corpus run, rerun it later, compare.

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
import subprocess
import sys
import time
import zipfile
import zlib
from dataclasses import dataclass, field

import numpy as np

from .atomic import atomic_write_bytes, atomic_write_text
from .corpus import Corpus, corpus_from_document, load_corpus
from .errors import UsageError
from .verdict import BUILT, ERROR, FAIL, PASS, SKIP, VERDICTS

BASELINE_FORMAT = "brian2-harness-baseline/1"
BASELINE_PREFIX = "brian2-harness-baseline/"
COMPARISON_FORMAT = "brian2-harness-comparison/1"
MANIFEST = "manifest"
DEFAULT_DTYPES = ("float64", "float32")

IDENTICAL = "identical"                       # every stored array bit-identical
WITHIN = "within tolerance"                   # values differ, within the family's tolerance
CHANGED = "changed beyond tolerance"
NEW_FAIL = "newly failing"                    # verdict was pass, now fail
NEW_ERROR = "newly erroring"                  # produced results before, errors now
GONE = "no longer available"                  # variant/device gone, skipped now, or only built now
NO_RESULT = "unchanged, no result"            # skipped/errored/built in the baseline and still no result
NOW_RUNS = "now runs"                         # no result in the baseline, results now (nothing to compare)
STATUSES = (IDENTICAL, WITHIN, CHANGED, NEW_FAIL, NEW_ERROR, GONE, NO_RESULT, NOW_RUNS)
REGRESSIONS = (CHANGED, NEW_FAIL, NEW_ERROR, GONE)
_WORST_FIRST = (NEW_ERROR, NEW_FAIL, CHANGED, GONE, NOW_RUNS, WITHIN, NO_RESULT, IDENTICAL)
STYLE = {IDENTICAL: "green", WITHIN: "cyan", CHANGED: "bold red", NEW_FAIL: "bold red", NEW_ERROR: "bold magenta",
         GONE: "bold yellow", NO_RESULT: "dim", NOW_RUNS: "blue"}
CELL_KEYS = ("variant", "device", "dtype", "case_id", "verdict")


# --- observables per cell --------------------------------------------------------------------------------

def observable_arrays(family: str, obs) -> dict:
    """What is stored for one case: the arrays from which its family's comparison can be redone."""
    if family == "growth":
        found = {"w_before": obs.w_before, "w_after": obs.w_after}
    else:
        found = obs.arrays() if hasattr(obs, "arrays") else dict(obs)
    return {k: np.array(v, copy=True) for k, v in found.items()}     # copies: per-case views of a batch


def observables_from_arrays(family: str, case, arrays: dict):
    """Inverse of `observable_arrays` for the family's `compare` (connectivity comes from the case)."""
    if family == "growth":
        from .observables import GrowthObservables
        return GrowthObservables(arrays["w_before"], arrays["w_after"], np.asarray(case.j, dtype=np.int64),
                                 case.n_post)
    if family == "metaplastic":
        from .metaplastic_oracle import MetaObservables
        return MetaObservables(**{k: arrays[k] for k in ("w", "A_minus", "r", "pre_count", "post_count")},
                               i=np.asarray(case.i, dtype=np.int64), j=np.asarray(case.j, dtype=np.int64))
    return dict(arrays)


def cells_from_result(result) -> dict:
    """(variant, device, dtype, case id) -> (Verdict, arrays or None) for every cell of a `RunResult`."""
    from .family import get_family

    arrays: dict[tuple, dict] = {}
    for job in result.jobs:
        if job.arrays is None or job.built or getattr(job, "mode", "run") != "run":
            continue
        family = job.variant.family
        try:
            per_case = [dict(job.arrays)] if family == "custom" else get_family(family).split(job.cases, job.arrays)
        except Exception:   # arrays of the wrong shape: the verdict (error/fail) says what happened
            continue
        for cid, obs in zip(job.case_ids, per_case):
            arrays[(job.variant.name, job.device, job.dtype, cid)] = observable_arrays(family, obs)
    out = {}
    for v in result.verdicts:
        key = (v.variant, v.device, v.dtype, v.case_id)
        out[key] = (v, arrays.get(key) if v.verdict in (PASS, FAIL) else None)
    return out


# --- the private-API probe -------------------------------------------------------------------------------

_CLOCK_PROBE = r'''
import json
out = {"honoured": False}
try:
    import brian2
    from brian2 import Clock, Network, NeuronGroup, Synapses, ms, prefs
    prefs.codegen.target = "numpy"
    pre = NeuronGroup(1, "", name="probe_pre")
    post = NeuronGroup(1, "S : 1", name="probe_post")
    syn = Synapses(pre, post, "w : 1\nS_post = w : 1 (summed)", name="probe_syn")
    syn.connect(i=[0], j=[0])
    updater = syn.summed_updaters["S_post"]
    clock = Clock(dt=1 * ms, name="probe_clock")
    updater._clock = clock
    assigned = updater.clock is clock
    Network(pre, post, syn).run(2 * ms)
    advanced = abs(float(clock.t / ms) - 2.0) < 1e-9
    out = {"honoured": bool(assigned and advanced), "assigned": bool(assigned), "scheduled": bool(advanced),
           "brian2": brian2.__version__}
    if not assigned:
        out["detail"] = "setting _clock no longer changes the object's clock (updater.clock is not the new Clock)"
    elif not advanced:
        out["detail"] = "the network did not schedule the Clock set through _clock"
except Exception as exc:
    out = {"honoured": False, "detail": f"{type(exc).__name__}: {exc}"[:500]}
print("PROBE " + json.dumps(out))
'''
PROBES = {"_clock": _CLOCK_PROBE}


def probe_private_api(names, timeout: float = 300.0) -> dict:
    """For each private Brian attribute in `names`: does moving a summed updater with it still work here?

    Assigning a private attribute never fails in Python, so a renamed `_clock` would be silent: the updater
    would stay on the default clock. The probe checks both that the object reports the new clock and that a
    network schedules it (a 2 ms run advances it). Runs in a fresh interpreter (numpy target).
    """
    out = {}
    for name in sorted(set(names)):
        if name not in PROBES:
            out[name] = {"honoured": None, "detail": "no probe for this attribute"}
            continue
        try:
            proc = subprocess.run([sys.executable, "-c", PROBES[name]], capture_output=True, text=True,
                                  timeout=timeout, stdin=subprocess.DEVNULL)
            line = next((ln for ln in proc.stdout.splitlines() if ln.startswith("PROBE ")), None)
            out[name] = json.loads(line[6:]) if line else {
                "honoured": False, "detail": f"probe crashed (exit {proc.returncode}): {proc.stderr.strip()[-300:]}"}
        except subprocess.TimeoutExpired:
            out[name] = {"honoured": False, "detail": f"probe timed out after {timeout:g} s"}
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
    from . import registry
    from .report import summarize

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
    try:
        atomic_write_bytes(os.fspath(path), buf.getvalue())
    except OSError as exc:
        raise UsageError(f"cannot write baseline '{path}': {exc.strerror or exc}") from None


def _validate_manifest(m, where: str) -> dict:
    if not isinstance(m, dict):
        raise UsageError(f"{where}: the manifest is {type(m).__name__}, expected an object (not a baseline)")
    fmt = m.get("format")
    if isinstance(fmt, str) and fmt.startswith(BASELINE_PREFIX) and fmt != BASELINE_FORMAT:
        raise UsageError(f"{where}: baseline format {fmt!r} is not supported by this brian2-harness "
                         f"(it reads {BASELINE_FORMAT!r})")
    if fmt != BASELINE_FORMAT:
        raise UsageError(f"{where}: format is {fmt!r}, expected {BASELINE_FORMAT!r} (write one with "
                         f"`brian2-harness record`)")
    cells = m.get("cells")
    if not isinstance(cells, list):
        raise UsageError(f"{where}: manifest 'cells' must be a list")
    for k, c in enumerate(cells):
        if not isinstance(c, dict):
            raise UsageError(f"{where}: cell {k} is {type(c).__name__}, expected an object")
        missing = [key for key in CELL_KEYS if not isinstance(c.get(key), str)]
        if missing:
            raise UsageError(f"{where}: cell {k} lacks '{missing[0]}' (a string)")
        if c["verdict"] not in VERDICTS:
            raise UsageError(f"{where}: cell {k} has verdict {c['verdict']!r}, expected one of {', '.join(VERDICTS)}")
        if not isinstance(c.get("arrays", {}), dict):
            raise UsageError(f"{where}: cell {k}: 'arrays' must be an object")
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
    except (UnicodeDecodeError, json.JSONDecodeError, ValueError) as exc:
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
        if c.get("family") in ("growth", "metaplastic"):
            try:
                corpus.case(c["family"], c["case_id"])
            except KeyError:
                raise UsageError(f"{where}: cell {k} refers to {c['family']} case '{c['case_id']}', "
                                 f"which is not in its corpus") from None
    return Baseline(manifest, arrays, corpus, path)


# --- record ----------------------------------------------------------------------------------------------

def _csv(text: str) -> list[str]:
    return [x.strip() for x in text.split(",") if x.strip()]


def resolve_variants(text: str, plugins=()) -> list[str]:
    from . import registry
    registry.load_all(list(plugins))
    if text == "all":
        names = [v.name for v in registry.all_variants() if v.source == "builtin"]
    elif text == "growth":
        names = [v.name for v in registry.all_variants() if v.source == "builtin" and v.family == "growth"]
    else:
        names = _csv(text)
        for n in names:
            registry.get(n)
    if not names:
        raise UsageError("--variants: no variant selected")
    return names


def resolve_devices(text: str) -> list[str]:
    from .devices import get_device
    names = _csv(text)
    if not names:
        raise UsageError("--devices: no device selected")
    for d in names:
        get_device(d)
    return names


def resolve_dtypes(text: str) -> list[str]:
    from .case import DTYPES
    names = _csv(text)
    if not names:
        raise UsageError("--dtype: no dtype selected")
    for d in names:
        if d not in DTYPES:
            raise UsageError(f"--dtype: '{d}' is not one of {', '.join(DTYPES)}")
    return names


def _run_config(corpus: Corpus, variants, devices, dtypes, *, plugins=(), jobs=None, timeout=900.0, cache_dir=None):
    from pathlib import Path

    from .matrix import RunConfig, default_cache_dir
    cfg = RunConfig(variants=list(variants), devices=list(devices), dtypes=list(dtypes), cases=list(corpus.growth),
                    plugins=list(plugins), timeout=timeout,
                    cache_dir=Path(cache_dir) if cache_dir else default_cache_dir(),
                    meta_cases=list(corpus.metaplastic))
    if jobs is not None:
        if jobs < 1:
            raise UsageError(f"--jobs must be >= 1, got {jobs}")
        cfg.jobs = jobs
    if timeout <= 0:
        raise UsageError(f"--timeout must be > 0 seconds, got {timeout}")
    cfg.isolate_failures = 0     # a baseline records what ran; no re-runs of single cases
    return cfg


def _private_names(variants) -> set[str]:
    from . import registry
    return {a for n in variants for a in getattr(registry.get(n), "private_api", ())}


def record(corpus: Corpus, variants, devices, dtypes, *, plugins=(), jobs=None, timeout=900.0, cache_dir=None,
           progress=None):
    """Run the matrix on the corpus; returns (Baseline, RunResult). Nothing is written here."""
    from . import registry
    from .environment import environment
    from .matrix import execute

    families = {"growth": bool(corpus.growth), "metaplastic": bool(corpus.metaplastic), "custom": True}
    for n in variants:
        fam = registry.get(n).family
        if not families.get(fam, True):
            raise UsageError(f"variant '{n}' is of the {fam} family, but the corpus has no {fam} cases")
    cfg = _run_config(corpus, variants, devices, dtypes, plugins=plugins, jobs=jobs, timeout=timeout,
                      cache_dir=cache_dir)
    t0 = time.perf_counter()
    result = execute(cfg, progress=progress)
    probe = probe_private_api(_private_names(variants))
    config = {"variants": list(variants), "devices": list(devices), "dtypes": list(dtypes),
              "plugins": [os.path.abspath(p) for p in plugins]}
    baseline = build_baseline(result, corpus, config, environment=environment(), private_api=probe,
                              seconds=time.perf_counter() - t0)
    return baseline, result


# --- compare ---------------------------------------------------------------------------------------------

@dataclass
class CellChange:
    variant: str
    device: str
    dtype: str
    case_id: str
    status: str
    baseline_verdict: str
    verdict: str | None            # now (None: not run now)
    max_abs_err: float | None = None     # largest |now - baseline| over the stored observables
    tolerance: float | None = None
    detail: str = ""
    private_api: list = field(default_factory=list)

    def to_dict(self) -> dict:
        return dict(self.__dict__)


def _identical(a: dict, b: dict) -> bool:
    if set(a) != set(b):
        return False
    for k in a:
        x, y = np.asarray(a[k]), np.asarray(b[k])
        if x.dtype != y.dtype or x.shape != y.shape:
            return False
        if not np.array_equal(x, y, equal_nan=x.dtype.kind in "fc"):
            return False
    return True


def _max_diff(a: dict, b: dict) -> float:
    out = 0.0
    for k in set(a) & set(b):
        x, y = np.asarray(a[k], dtype=np.float64), np.asarray(b[k], dtype=np.float64)
        if x.shape != y.shape:
            return float("inf")
        if x.size:
            d = np.abs(x - y)
            d = np.where(np.isnan(x) & np.isnan(y), 0.0, d)
            out = max(out, float(np.max(np.where(np.isfinite(d), d, np.inf))))
    return out if set(a) == set(b) else float("inf")


class _Oracles:
    def __init__(self):
        self.memo = {}

    def get(self, family: str, case, semantics: str):
        from .family import get_family
        key = (family, case, semantics)
        if key not in self.memo:
            self.memo[key] = get_family(family).oracle([case], semantics)[0]
        return self.memo[key]


def compare_values(family: str, semantics, case, dtype: str, got: dict, ref: dict, device: str, oracles: _Oracles):
    """The family's comparison of a cell's observables now (`got`) with the baseline's (`ref`)."""
    from .compare import Comparison, compare_arrays, compare_growth
    from .devices import get_device
    from .family import get_family

    try:
        arithmetic = getattr(get_device(device), "arithmetic", "ieee")
    except UsageError:
        arithmetic = "ieee"
    if set(got) != set(ref):
        return Comparison(False, float("inf"), float("inf"), 0.0, 0.0, float("inf"), 0, 0,
                          f"observables differ in names: now {sorted(got)}, baseline {sorted(ref)}")
    try:
        if family == "custom" or (semantics is None and family not in ("growth",)):
            return compare_arrays(got, ref, dtype=dtype, n_steps=case.n_steps)
        g, r = observables_from_arrays(family, case, got), observables_from_arrays(family, case, ref)
        if semantics is None:
            return compare_growth(g, r, dtype=dtype, n_steps=case.n_steps)
        oracle = oracles.get(family, case.replace(dtype=dtype), semantics)
        return get_family(family).compare(g, r, case.replace(dtype=dtype), dtype, oracle=oracle,
                                          arithmetic=arithmetic)
    except (ValueError, IndexError, KeyError, TypeError) as exc:
        return Comparison(False, float("inf"), float("inf"), 0.0, 0.0, float("inf"), 0, 0,
                          f"cannot compare: {type(exc).__name__}: {exc}")


def compare_cells(baseline: Baseline, result, *, unknown_variants=(), unknown_devices=()) -> list[CellChange]:
    """Classify every baseline cell against the cells of `result` (a `RunResult` of the rerun)."""
    from . import registry
    from .case import default_case

    now = cells_from_result(result)
    oracles = _Oracles()
    out = []
    for k, old in enumerate(baseline.cells):
        key = (old["variant"], old["device"], old["dtype"], old["case_id"])
        info = baseline.manifest.get("variants", {}).get(old["variant"], {})
        private = list(info.get("private_api") or [])
        change = CellChange(*key, status=IDENTICAL, baseline_verdict=old["verdict"], verdict=None, private_api=private)
        new = now.get(key)
        old_arrays = baseline.arrays.get(k)
        if old["variant"] in unknown_variants:
            change.status, change.detail = GONE, f"variant '{old['variant']}' is no longer registered"
        elif old["device"] in unknown_devices:
            change.status, change.detail = GONE, f"device '{old['device']}' no longer exists"
        elif new is None:
            change.status, change.detail = GONE, "cell not planned in the rerun"
        else:
            v, new_arrays = new
            change.verdict = v.verdict
            if old_arrays is None:          # nothing to compare with
                if new_arrays is not None:
                    change.status = NOW_RUNS
                    change.detail = f"baseline had no result ({old['verdict']}: {old.get('reason', '')[:100]}); now {v.verdict}"
                elif v.verdict == ERROR and old["verdict"] != ERROR:
                    change.status, change.detail = NEW_ERROR, v.reason
                elif v.verdict == SKIP and old["verdict"] != SKIP:
                    change.status, change.detail = GONE, f"skipped now: {v.reason}"
                else:
                    change.status, change.detail = NO_RESULT, f"{v.verdict}, as in the baseline: {v.reason}"
            elif v.verdict == ERROR or (v.verdict in (PASS, FAIL) and new_arrays is None):
                change.status, change.detail = NEW_ERROR, v.reason or "no observables"
            elif v.verdict == SKIP:
                change.status, change.detail = GONE, f"skipped now: {v.reason}"
            elif v.verdict == BUILT:
                change.status, change.detail = GONE, f"only built now, not run: {v.reason}"
            else:
                try:
                    variant = registry.get(old["variant"])
                    family, semantics = variant.family, variant.semantics
                except UsageError:
                    family, semantics = old.get("family", "custom"), None
                case = default_case() if family == "custom" else baseline.corpus.case(family, old["case_id"])
                same = _identical(new_arrays, old_arrays)
                change.max_abs_err = 0.0 if same else _max_diff(new_arrays, old_arrays)
                cmp = compare_values(family, semantics, case, old["dtype"], new_arrays, old_arrays, old["device"],
                                     oracles)
                change.tolerance = cmp.tolerance
                if old["verdict"] == PASS and v.verdict == FAIL:
                    change.status, change.detail = NEW_FAIL, v.reason
                elif same:
                    change.status = IDENTICAL
                    if old["verdict"] != v.verdict:
                        change.detail = f"same values, verdict {old['verdict']} -> {v.verdict}: {v.reason}"
                elif cmp.ok:
                    change.status = WITHIN
                    change.detail = f"max |now - baseline| {change.max_abs_err:.3g} <= tol {cmp.tolerance:.3g}"
                else:
                    change.status, change.detail = CHANGED, cmp.reason
        if private and change.status in REGRESSIONS:
            change.detail = f"relies on private Brian API {', '.join(private)}: {change.detail}"
        out.append(change)
    return out


def _env_line(env: dict) -> str:
    return (f"brian2 {env.get('brian2')} · numpy {env.get('numpy')} · Python {env.get('python')}"
            + (f" · brian2cuda {env['brian2cuda']}" if env.get("brian2cuda") else ""))


def summarize_changes(changes: list[CellChange]) -> dict:
    counts = {s: 0 for s in STATUSES}
    for c in changes:
        counts[c.status] += 1
    return counts | {"cells": len(changes)}


def private_api_problems(baseline: Baseline, now_probe: dict) -> list[str]:
    """Private attributes that worked when the baseline was recorded (or were unknown) and no longer do."""
    users: dict[str, list[str]] = {}
    for name, info in baseline.manifest.get("variants", {}).items():
        for attr in info.get("private_api") or []:
            users.setdefault(attr, []).append(name)
    out = []
    for attr, result in now_probe.items():
        if result.get("honoured") is False:
            out.append(f"private Brian API {attr} (used by {', '.join(sorted(users.get(attr, [])))}) is no longer "
                       f"honoured: {result.get('detail', '')}")
    return out


def comparison_document(baseline: Baseline, changes: list[CellChange], *, environment: dict, probe: dict,
                        seconds: float, interrupted: bool = False) -> dict:
    return {
        "format": COMPARISON_FORMAT,
        "baseline": {"file": baseline.path, "created": baseline.manifest.get("created"),
                     "environment": baseline.environment, "private_api": baseline.manifest.get("private_api", {}),
                     "corpus_sha256": baseline.corpus.digest()},
        "environment": environment,
        "private_api": probe,
        "problems": private_api_problems(baseline, probe),
        "status": "interrupted" if interrupted else "complete",
        "summary": summarize_changes(changes),
        "seconds": seconds,
        "cells": [c.to_dict() for c in changes],
    }


def group_changes(changes: list[CellChange]) -> list[dict]:
    groups: dict[tuple, list[CellChange]] = {}
    for c in changes:
        groups.setdefault((c.variant, c.device, c.dtype), []).append(c)
    rows = []
    for (variant, device, dtype), cs in groups.items():
        counts = summarize_changes(cs)
        status = next(s for s in _WORST_FIRST if counts[s])
        errs = [c.max_abs_err for c in cs if c.max_abs_err is not None]
        ratios = [_ratio(c) for c in cs if c.max_abs_err is not None and c.tolerance is not None]
        worst = [c for c in cs if c.status == status]
        if status == IDENTICAL:
            note = ""
        elif status in (NO_RESULT, NOW_RUNS) and len({c.detail for c in worst}) == 1:
            note = worst[0].detail
        else:
            note = f"{worst[0].case_id}: {worst[0].detail}" + (f" (+{len(worst) - 1} more)" if len(worst) > 1 else "")
        rows.append(dict(variant=variant, device=device, dtype=dtype, status=status,
                         cells=", ".join(f"{counts[s]} {s}" for s in STATUSES if counts[s]),
                         max_abs_err=max(errs) if errs else None, ratio=max(ratios) if ratios else None,
                         private_api=",".join(cs[0].private_api), note=note))
    return rows


def _ratio(c: CellChange) -> float:
    """|now - baseline| in units of the cell's tolerance (<= 1: within tolerance)."""
    if c.max_abs_err == 0:
        return 0.0
    return c.max_abs_err / c.tolerance if c.tolerance else float("inf")


def _fmt(x) -> str:
    return "-" if x is None else ("0" if x == 0 else f"{x:.2e}")


def _private_cell(row: dict, probe: dict) -> str:
    if not row["private_api"]:
        return ""
    broken = [a for a in row["private_api"].split(",") if (probe.get(a) or {}).get("honoured") is False]
    if broken or row["status"] in REGRESSIONS:
        return f"{row['private_api']} BROKEN?" if not broken else f"{','.join(broken)} NOT HONOURED"
    return row["private_api"]


def print_comparison(doc: dict, rows: list[dict], console=None) -> None:
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    console = console or Console(width=None if sys.stdout.isatty() else 200)
    env_old, env_new = doc["baseline"]["environment"], doc["environment"]
    t = Table(title="environment: baseline -> now")
    for col in ("", "baseline", "now"):
        t.add_column(col)
    for k in ("brian2", "numpy", "python", "cython", "brian2cuda", "hypothesis", "gcc", "nvcc"):
        a, b = env_old.get(k), env_new.get(k)
        if a or b:
            t.add_row(k, escape(str(a)), f"[bold]{escape(str(b))}[/]" if a != b else escape(str(b)))
    console.print(t)
    table = Table(title=f"baseline {os.path.basename(doc['baseline']['file'] or '')} vs now", show_lines=False)
    for col in ("variant", "device", "dtype", "status", "cells", "max |now-base|", "max |now-base|/tol", "private API",
                "note"):
        table.add_column(col, overflow="fold")
    for r in rows:
        table.add_row(escape(r["variant"]), escape(r["device"]), escape(r["dtype"]),
                      f"[{STYLE[r['status']]}]{r['status']}[/]", escape(str(r["cells"])),
                      _fmt(r["max_abs_err"]), _fmt(r["ratio"]), escape(_private_cell(r, doc["private_api"])),
                      escape(r["note"][:160]))
    console.print(table)
    for attr, res in sorted(doc["private_api"].items()):
        before = (doc["baseline"]["private_api"].get(attr) or {}).get("honoured")
        word = {True: "honoured", False: "NOT honoured", None: "not probed"}
        console.print(escape(f"private Brian API {attr}: {word[before]} in the baseline -> "
                             f"{word[res.get('honoured')]} now" + (f" ({res['detail']})" if res.get("detail") else "")))


def markdown_table(doc: dict, rows: list[dict]) -> str:
    env_old, env_new = doc["baseline"]["environment"], doc["environment"]
    lines = [f"baseline: {_env_line(env_old)} → now: {_env_line(env_new)}", "",
             "| variant | device | dtype | status | cells | max \\|now−base\\| | max \\|now−base\\|/tol | private API | note |",
             "|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        note = r["note"].replace("|", "\\|")[:160]
        lines.append(f"| {r['variant']} | {r['device']} | {r['dtype']} | {r['status']} | {r['cells']} | "
                     f"{_fmt(r['max_abs_err'])} | {_fmt(r['ratio'])} | {_private_cell(r, doc['private_api'])} | {note} |")
    lines += ["", summary_line(doc), ""]
    return "\n".join(lines)


def summary_line(doc: dict) -> str:
    s = doc["summary"]
    main = ", ".join(f"{s[k]} {k}" for k in (IDENTICAL, WITHIN, CHANGED, NEW_FAIL, NEW_ERROR, GONE))
    extra = ", ".join(f"{s[k]} {k}" for k in (NO_RESULT, NOW_RUNS) if s[k])
    return (f"{s['cells']} cells: {main}" + (f" ({extra})" if extra else "")
            + f"; {_env_line(doc['baseline']['environment'])} -> {_env_line(doc['environment'])}"
            + f" in {doc['seconds']:.1f} s")


def compare(baseline: Baseline, *, corpus: Corpus | None = None, plugins=(), jobs=None, timeout=900.0,
            cache_dir=None, progress=None) -> dict:
    """Rerun the baseline's cells with what is installed now; the comparison document."""
    from . import registry
    from .devices import get_device
    from .environment import environment
    from .matrix import RunResult, execute

    if corpus is not None and corpus.digest() != baseline.corpus.digest():
        raise UsageError(f"--corpus: {corpus.summary()} differs from the corpus the baseline was recorded on "
                         f"({baseline.corpus.summary()}); compare reruns the baseline's own cases")
    recorded_plugins = [p for p in baseline.manifest.get("config", {}).get("plugins", []) if os.path.isfile(p)]
    registry.load_all(list(dict.fromkeys(recorded_plugins + list(plugins))))
    cfg = baseline.manifest.get("config", {})
    variants = list(dict.fromkeys(cfg.get("variants") or [c["variant"] for c in baseline.cells]))
    devices = list(dict.fromkeys(cfg.get("devices") or [c["device"] for c in baseline.cells]))
    dtypes = list(dict.fromkeys(cfg.get("dtypes") or [c["dtype"] for c in baseline.cells]))
    known = {v.name for v in registry.all_variants()}
    unknown_variants = sorted(set(c["variant"] for c in baseline.cells) - known)
    unknown_devices = []
    for d in sorted(set(devices) | {c["device"] for c in baseline.cells}):
        try:
            get_device(d)
        except UsageError:
            unknown_devices.append(d)
    run_variants = [v for v in variants if v in known]
    run_devices = [d for d in devices if d not in unknown_devices]
    t0 = time.perf_counter()
    if run_variants and run_devices:
        result = execute(_run_config(baseline.corpus, run_variants, run_devices, dtypes, plugins=recorded_plugins
                                     + list(plugins), jobs=jobs, timeout=timeout, cache_dir=cache_dir),
                         progress=progress)
    else:
        result = RunResult(verdicts=[], probes={}, jobs=[])
    probe = probe_private_api(_private_names(run_variants))
    changes = compare_cells(baseline, result, unknown_variants=unknown_variants, unknown_devices=unknown_devices)
    return comparison_document(baseline, changes, environment=environment(), probe=probe,
                               seconds=time.perf_counter() - t0, interrupted=result.interrupted)


def regressions(doc: dict) -> list[str]:
    s = doc["summary"]
    out = [f"{s[k]} {k}" for k in REGRESSIONS if s[k]]
    out += doc.get("problems", [])
    if doc.get("status") == "interrupted":
        out.append("interrupted: cells not rerun count as no longer available")
    return out


# --- command line --------------------------------------------------------------------------------------

def _add_run_options(p):
    p.add_argument("--plugin", action="append", default=[], metavar="FILE.py",
                   help="Python file that registers variants (repeatable)")
    p.add_argument("--jobs", type=int, default=None, help="parallel worker processes (default: cores, max 4)")
    p.add_argument("--timeout", type=float, default=900.0, help="seconds per worker process (default 900)")
    p.add_argument("--cache-dir", help="build and cache folder (default ~/.cache/brian2-harness)")
    p.add_argument("--quiet", action="store_true", help="no progress lines")


def add_parser(subparsers):
    """Adds two subcommands, `record` and `compare`; `run(args)` dispatches on `args.command`."""
    from .devices import CPU_DEVICES
    p = subparsers.add_parser("record", help="run a corpus and store every observable as a baseline (.npz)")
    p.add_argument("--corpus", required=True, metavar="CORPUS.json", help="cases to run (from `brian2-harness corpus`)")
    p.add_argument("--out", required=True, metavar="BASELINE.npz", help="baseline file (written atomically)")
    p.add_argument("--variants", default="all", help="comma-separated variants, 'all' (built-ins) or 'growth'")
    p.add_argument("--devices", default=",".join(CPU_DEVICES), help="comma-separated devices (default: CPU devices)")
    p.add_argument("--dtype", default=",".join(DEFAULT_DTYPES), help="float64, float32 or both (default both)")
    _add_run_options(p)
    c = subparsers.add_parser("compare", help="rerun a baseline's cells with the installed Brian2 and report changes")
    c.add_argument("baseline", metavar="BASELINE.npz", help="written by `brian2-harness record`")
    c.add_argument("--corpus", metavar="CORPUS.json", help="check that this is the corpus the baseline was recorded on")
    c.add_argument("--json", dest="json_out", metavar="OUT.json", help="write the per-cell comparison as JSON")
    c.add_argument("--markdown", metavar="OUT.md", help="write the comparison table as Markdown")
    _add_run_options(c)
    return p, c


def _progress(args):
    if args.quiet:
        return None
    from .progress import Progress
    return Progress()


def run_record(args) -> int:
    from rich.console import Console
    from rich.markup import escape

    from .report import print_table

    corpus = load_corpus(args.corpus)
    variants = resolve_variants(args.variants, args.plugin)
    devices, dtypes = resolve_devices(args.devices), resolve_dtypes(args.dtype)
    if os.path.isdir(args.out):
        raise UsageError(f"--out '{args.out}' is a directory")
    baseline, result = record(corpus, variants, devices, dtypes, plugins=args.plugin, jobs=args.jobs,
                              timeout=args.timeout, cache_dir=args.cache_dir, progress=_progress(args))
    console = Console(width=None if sys.stdout.isatty() else 200)
    print_table(result.verdicts, console, title="baseline run")
    s = baseline.manifest["summary"]
    if result.interrupted:
        console.print("[bold red]interrupted[/]: baseline not written")
        return 1
    write_baseline(baseline, args.out)
    stored = sum(1 for c in baseline.cells if c["arrays"])
    line = (f"baseline: {s['cells']} cells ({stored} with observables; {s[PASS]} pass, {s[FAIL]} fail, "
            f"{s[ERROR]} error, {s[SKIP]} skip) on {corpus.summary()}, {_env_line(baseline.environment)}, "
            f"in {baseline.manifest['seconds']:.1f} s -> {args.out}")
    for attr, res in baseline.manifest["private_api"].items():
        console.print(escape(f"private Brian API {attr}: {'honoured' if res.get('honoured') else 'NOT honoured'}"
                             + (f" ({res['detail']})" if res.get("detail") else "")))
    if s[FAIL] or s[ERROR] or not stored:
        console.print(f"[bold red]recorded with problems[/]: {line}; failing/erroring cells can only be "
                      f"compared by verdict")
        return 1
    console.print(f"[bold green]OK[/]: {line}")
    return 0


def run_compare(args) -> int:
    from rich.console import Console

    baseline = load_baseline(args.baseline)
    corpus = load_corpus(args.corpus) if args.corpus else None
    for out in (args.json_out, args.markdown):
        if out and os.path.isdir(out):
            raise UsageError(f"output '{out}' is a directory")
    doc = compare(baseline, corpus=corpus, plugins=args.plugin, jobs=args.jobs, timeout=args.timeout,
                  cache_dir=args.cache_dir, progress=_progress(args))
    rows = group_changes([CellChange(**c) for c in doc["cells"]])
    console = Console(width=None if sys.stdout.isatty() else 200)
    print_comparison(doc, rows, console)
    try:
        if args.json_out:
            atomic_write_text(args.json_out, json.dumps(doc, indent=1))
        if args.markdown:
            atomic_write_text(args.markdown, markdown_table(doc, rows))
    except OSError as exc:
        raise UsageError(f"cannot write the comparison: {exc.strerror or exc}") from None
    problems = regressions(doc)
    if problems:
        console.print(f"[bold red]CHANGED[/]: {summary_line(doc)}; " + "; ".join(problems))
        return 1
    console.print(f"[bold green]OK[/]: {summary_line(doc)}")
    return 0


def run(args) -> int:
    return run_record(args) if args.command == "record" else run_compare(args)
