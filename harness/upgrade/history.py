"""What changed when: baselines of one corpus recorded under several Brian2 versions, each compared with the one
before it, offline (no Brian run: the newer baseline stands in for the rerun of `compare`).

    brian2-harness history upgrade/history/brian2-2.5.4.npz upgrade/history/brian2-2.6.0.npz ... \\
        [--markdown history.md] [--json history.json]

Baselines are ordered by Brian2 version, then numpy, Python and Cython version (a step may change only numpy).
Every step is classified cell by cell exactly like `compare` (changes.py), with the causes of causes.py (shared
by a device's variants, or the private API on evidence) and, for values that moved within tolerance, both
versions against the oracle (drift.py). What changed in the environment at each step is listed: a difference
in values is attributed to the components that changed at that step, and to one of them only when it is the
only one that changed. A file that does not exist is reported as missing (the table says which version has
no baseline) and makes the exit status 1; changes between versions are findings, exit 0.
"""
from __future__ import annotations

import os
import re
from types import SimpleNamespace

from brian2_harness import variant_sources
from brian2_harness.errors import UsageError
from brian2_harness.upgrade.baseline import Baseline, load_baseline
from brian2_harness.upgrade.causes import error_key
from brian2_harness.upgrade.changes import compare_cells, comparison_document
from brian2_harness.versions import CORE, CYTHON, NUMPY

HISTORY_FORMAT = "brian2-harness-history/1"
COMPONENTS = (*CORE, "gcc")


def _version_tuple(text) -> tuple:
    """'2.8.0.4' -> (2, 8, 0, 4); non-numeric parts sort after numbers of the same position."""
    parts = []
    for p in re.split(r"[.+-]", str(text or "")):
        parts.append((0, int(p), "") if p.isdigit() else (1, 0, p))
    return tuple(parts)


def order_key(b: Baseline) -> tuple:
    env = b.environment
    return tuple(_version_tuple(env.get(k)) for k in CORE)


def cells_of(b: Baseline) -> dict:
    """A baseline's cells in the form `compare_cells(now=...)` takes: key -> (verdict, arrays or None)."""
    out = {}
    for k, c in enumerate(b.cells):
        v = SimpleNamespace(verdict=c["verdict"], reason=c.get("reason", ""))
        out[(c["variant"], c["device"], c["dtype"], c["case_id"])] = (v, b.arrays.get(k))
    return out


def env_changes(old: dict, new: dict) -> list[str]:
    """'numpy 1.26.4 -> 2.2.6' for each component that differs (compilers by their first line)."""
    out = []
    for k in COMPONENTS:
        a, b = old.get(k), new.get(k)
        if k == "gcc":
            a, b = (str(a).splitlines()[0] if a else a), (str(b).splitlines()[0] if b else b)
        if a != b:
            out.append(f"{k} {a} -> {b}")
    return out


def label(b: Baseline) -> str:
    env = b.environment
    return (f"brian2 {env.get('brian2')} (numpy {env.get(NUMPY)}, Python {env.get('python')}, "
            f"Cython {env.get(CYTHON)})")


def load_history(paths) -> tuple[list[Baseline], list[str]]:
    """Existing baselines, ordered (see module docstring), and the paths that do not exist."""
    if not paths:
        raise UsageError("history: give at least two baseline files (written by `brian2-harness record`)")
    real = [os.path.realpath(p) for p in paths]
    twice = [p for k, p in enumerate(paths) if real[k] in real[:k]]
    if twice:
        raise UsageError(f"history: '{twice[0]}' is given more than once (each version's baseline once)")
    found, missing = [], []
    for p in paths:
        if os.path.isdir(p):
            raise UsageError(f"history: '{p}' is a directory; give the baseline files (e.g. {p}/brian2-*.npz)")
        if not os.path.exists(p):
            missing.append(os.fspath(p))
            continue
        found.append(load_baseline(p))
    found.sort(key=order_key)
    if found:
        digest = found[0].corpus.digest()
        for b in found[1:]:
            if b.corpus.digest() != digest:
                raise UsageError(f"history: '{b.path}' was recorded on another corpus than '{found[0].path}' "
                                 f"({b.corpus.summary()} vs {found[0].corpus.summary()}); record every version "
                                 f"on the same corpus file")
    return found, missing


def step_document(old: Baseline, new: Baseline) -> dict:
    """One step of the history: `compare`'s document with the newer baseline as 'now'."""
    variant_sources.load_all([])
    probe = new.manifest.get("private_api") or {}
    changes = compare_cells(old, now=cells_of(new), probe=probe)
    doc = comparison_document(old, changes, environment=new.environment, probe=probe,
                              seconds=float(new.manifest.get("seconds") or 0.0))
    doc["now_file"] = new.path
    doc["env_changes"] = env_changes(old.environment, new.environment)
    return doc


def history_document(baselines: list[Baseline], missing: list[str]) -> dict:
    versions = [{"file": b.path, "label": label(b), "environment": b.environment,
                 "summary": b.manifest.get("summary", {}), "seconds": b.manifest.get("seconds"),
                 "private_api": b.manifest.get("private_api", {}), "errors": _errors(b)} for b in baselines]
    steps = [step_document(a, b) for a, b in zip(baselines, baselines[1:])]
    corpus = baselines[0].corpus.summary() if baselines else ""
    return {"format": HISTORY_FORMAT, "corpus": corpus, "versions": versions, "missing": missing, "steps": steps}


def _errors(b: Baseline) -> list[dict]:
    """Erroring cells of one version, grouped by device and error (what did not run there, and why)."""
    groups: dict[tuple, list] = {}
    for c in b.cells:
        if c["verdict"] == "error":
            groups.setdefault((c["device"], error_key(c.get("reason", ""))), []).append(c)
    return [{"device": d, "error": e, "cells": len(cs), "variants": sorted({c["variant"] for c in cs})}
            for (d, e), cs in sorted(groups.items())]
