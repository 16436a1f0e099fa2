"""Warm seeds: a runtime device (numpy, cython) runs a script's later seeds in the process that ran its first one.

A fresh process per seed repeats the model's code generation at every seed (sympy's work for the `exact`
updaters alone is 0.6 s of a 1.2 s numpy seed here); a second run in the same process finds Brian's caches warm.
That is only sound if nothing of one run changes the next, so between runs Brian's global state is set back to
what the first run started from (preferences, `defaultclock.dt`, the scope key, the magic network, the
environment, the script's own modules, figures) and the first seed runs a second time before any other: the later
seeds run here only if that rerun gives the same results bit for bit (`differs`: observables, the random numbers
drawn, outcome, notes). Otherwise, or when a later run's observables are named differently, the seeds left run in
fresh processes as before, and the check's notes say why (`FALLBACK`). `BRIAN2_HARNESS_WARM_SEEDS=0` (and
`--fresh-processes`) turn warm seeds off.
"""
from __future__ import annotations

import gc
import json
import os
import sys

import numpy as np

WARM_VAR = "BRIAN2_HARNESS_WARM_SEEDS"
FALLBACK = "ran in fresh processes"
INSTALLED = ("site-packages", "dist-packages")
COMPARED_META = ("status", "reason", "run_calls", "t_end", "dt", "random_sources", "script_seeded", "stream",
                 "perturbed")


def wanted(job: dict, standalone: bool) -> bool:
    """Warm seeds for this job: a runtime device, more than one seed, not turned off."""
    off = os.environ.get(WARM_VAR, "").strip().lower() in ("0", "no", "false", "off")
    return not standalone and len(job.get("seeds") or []) > 1 and not job.get("rebuild_per_seed") and not off


def initial_state(brian2) -> dict:
    """What the first run started from, right after the sandbox was installed."""
    from brian2.core.base import BrianObject
    return dict(prefs=dict(brian2.prefs.prefs), dt=float(brian2.defaultclock.dt_),
                scope=BrianObject._scope_current_key, environ=dict(os.environ), modules=set(sys.modules))


def again(sandbox) -> None:
    """Brian's global state as `initial_state` found it, and the run's seeds (seeding.again)."""
    import brian2
    from brian2.core.base import BrianObject
    from brian2.core.magic import magic_network

    from . import seeding
    start = sandbox.initial
    if "matplotlib.pyplot" in sys.modules:
        sys.modules["matplotlib.pyplot"].close("all")
    magic_network.objects.clear()
    brian2.prefs.prefs.update(start["prefs"])       # the dict itself: the sandbox's write guard is not asked
    BrianObject._scope_current_key = start["scope"]
    brian2.defaultclock.dt = start["dt"] * brian2.second
    if dict(os.environ) != start["environ"]:
        os.environ.clear()
        os.environ.update(start["environ"])
    gc.collect()
    seeding.again(sandbox)


def forget_modules(start: dict, folders: list[str]) -> list[str]:
    """Remove from sys.modules the modules the script imported from its folders (imported again by the next
    run, as by a fresh process); the harness, Brian and everything imported before the script stay."""
    real = [os.path.realpath(f) + os.sep for f in folders]
    gone = []
    for name, module in list(sys.modules.items()):
        path = getattr(module, "__file__", None)
        if name in start["modules"] or not path:
            continue
        real_path = os.path.realpath(path)
        if any(part in real_path.split(os.sep) for part in INSTALLED):
            continue              # an installed package in a virtualenv under the script's folder: imported once
        if any(real_path.startswith(f) for f in real):
            del sys.modules[name]
            gone.append(name)
    return gone


def differs(first: tuple[dict, dict], rerun: tuple[dict, dict]) -> str:
    """How a rerun of a seed differs from its first run ("" when it is the same bit for bit), each given as
    (observables, meta) (collect.load). NaN equals NaN only where the bytes are the same."""
    (obs_a, meta_a), (obs_b, meta_b) = first, rerun
    for key in COMPARED_META:
        if meta_a.get(key) != meta_b.get(key):
            return f"{key}: {_short(meta_a.get(key))} then {_short(meta_b.get(key))}"
    if sorted(meta_a.get("notes") or []) != sorted(meta_b.get("notes") or []):
        return "the notes differ"
    if sorted(obs_a) != sorted(obs_b):
        return f"observables {sorted(set(obs_a) ^ set(obs_b))[:4]} present in one run only"
    for name in sorted(obs_a):
        a, b = obs_a[name], obs_b[name]
        if {k: v for k, v in a.items() if k != "arrays"} != {k: v for k, v in b.items() if k != "arrays"}:
            return f"{name}: its description differs"
        if sorted(a["arrays"]) != sorted(b["arrays"]):
            return f"{name}: other fields"
        for field in sorted(a["arrays"]):
            x, y = np.asarray(a["arrays"][field]), np.asarray(b["arrays"][field])
            if x.dtype != y.dtype or x.shape != y.shape or x.tobytes() != y.tobytes():
                return f"{name}.{field} differs"
    return ""


def _short(value) -> str:
    text = json.dumps(value, default=str)
    return text if len(text) <= 80 else text[:77] + "..."


def note_fallback(folder: str, which: str, why: str) -> None:
    """Add to the first seed's meta.json which seeds ran in fresh processes and why (shown with the device's
    notes)."""
    path = os.path.join(folder, "meta.json")
    with open(path) as f:
        meta = json.load(f)
    meta.setdefault("notes", []).append(f"{which} {FALLBACK}, not in the first seed's (warm seeds): {why}")
    with open(path + ".tmp", "w") as f:
        json.dump(meta, f)
    os.replace(path + ".tmp", path)
