"""Monitors (or the objects named by --observe) -> named arrays, and their storage between processes.

An observable is a dict: ``kind`` (state | spikes | rate | event_values | value), ``dt`` (seconds or None),
``unit`` (text), ``N`` (size of the source group, spikes/rate only) and ``arrays`` (name -> numpy array):

* StateMonitor ``mon`` recording ``v``  -> ``mon.v``: kind state, arrays t (n_t,), values (n_idx, n_t), indices;
* SpikeMonitor / EventMonitor ``spk``   -> ``spk``: kind spikes, arrays i, t; recorded variables at the events
  -> ``spk.var``: kind event_values, arrays values, i, t;
* PopulationRateMonitor ``rate``        -> ``rate.rate``: kind rate, arrays t, values (Hz);
* ``--observe group.var`` (any Brian object with that variable) -> kind value, arrays values (at the end);
* a script without any monitor: its module-level numeric arrays, less what it imported -> ``globals.NAME`` (kind
  value).

Everything is in SI units without unit objects (``mon.v_``). The module is Brian-free at import time.
"""
from __future__ import annotations

import json
import os
import sys
import types

import numpy as np

from . import probe

MAX_ELEMENTS = 1_000_000     # larger state recordings keep evenly spaced rows (noted)
# What gather() takes, stated in every record: 1 (records before 2026-12-07) took the names a monitor-less
# script imported (`from brian2 import *`: unit constants, DEFAULT_UNITS) as its results; 2 leaves them out.
COLLECTED = 2


def _unit(owner, var: str) -> str:
    """The variable's unit ("" when dimensionless: Brian's get_unit would say "rad")."""
    try:
        return unit_text(owner.variables[var].dim)
    except Exception:
        return ""


def unit_text(dim) -> str:
    """Brian's unit of a dimension as text; '' for dimensionless (Brian would print 'rad')."""
    from brian2 import get_unit
    if dim is None or getattr(dim, "is_dimensionless", False):
        return ""
    return str(get_unit(dim))


def _selected(name: str, observe: list[str] | None) -> bool:
    if not observe:
        return True
    return any(name == s or name.startswith(s + ".") for s in observe)


def _thin(values: np.ndarray, indices: np.ndarray, notes: list[str], name: str):
    if values.size <= MAX_ELEMENTS or values.ndim != 2 or values.shape[0] < 2:
        return values, indices
    keep = max(1, MAX_ELEMENTS // values.shape[1])
    rows = np.unique(np.linspace(0, values.shape[0] - 1, keep).astype(int))
    notes.append(f"{name}: {values.shape[0]} recorded indices, {len(rows)} evenly spaced ones kept")
    return values[rows], indices[rows]


def read_monitor(mon, observe, notes: list[str]) -> dict:
    """The observables of one monitor (empty dict if none is selected)."""
    from brian2.monitors.ratemonitor import PopulationRateMonitor
    from brian2.monitors.spikemonitor import EventMonitor
    from brian2.monitors.statemonitor import StateMonitor
    out: dict = {}
    dt = float(mon.clock.dt_)
    if isinstance(mon, StateMonitor):
        t = np.asarray(mon.t_[:], dtype=float)
        record = mon.record if not isinstance(mon.record, bool) else np.arange(len(mon.source))
        for var in mon.record_variables:
            name = f"{mon.name}.{var}"
            if not _selected(name, observe):
                continue
            values = np.asarray(getattr(mon, var + "_")[:])
            if values.ndim == 1:
                values = values[:, None] if len(t) == values.shape[0] else values[None, :]
            if values.shape[-1] != len(t) and values.shape[0] == len(t):
                values = values.T
            indices = np.asarray(record, dtype=np.int64).reshape(-1)[: values.shape[0]]
            values, indices = _thin(values, indices, notes, name)
            out[name] = dict(kind="state", dt=dt, unit=_unit(mon.source, var), N=None,
                             arrays={"t": t, "values": values, "indices": indices})
    elif isinstance(mon, EventMonitor):
        if _selected(mon.name, observe):
            i = np.asarray(mon.i[:], dtype=np.int64)
            t = np.asarray(mon.t_[:], dtype=float)
            out[mon.name] = dict(kind="spikes", dt=dt, unit="s", N=int(len(mon.source)), event=mon.event,
                                 arrays={"i": i, "t": t})
            for var in mon.record_variables:
                name = f"{mon.name}.{var}"
                if var in ("i", "t") or not _selected(name, observe):
                    continue
                out[name] = dict(kind="event_values", dt=dt, unit=_unit(mon.source, var), N=int(len(mon.source)),
                                 arrays={"values": np.asarray(getattr(mon, var + "_")[:]), "i": i, "t": t})
    elif isinstance(mon, PopulationRateMonitor):
        name = f"{mon.name}.rate"
        if _selected(name, observe):
            out[name] = dict(kind="rate", dt=dt, unit="Hz", N=int(len(mon.source)),
                             arrays={"t": np.asarray(mon.t_[:], dtype=float),
                                     "values": np.asarray(mon.rate_[:], dtype=float)})
    return out


def read_monitors(monitors, observe, notes: list[str]) -> dict:
    out: dict = {}
    for mon in monitors:
        try:
            obs = read_monitor(mon, observe, notes)
        except Exception as exc:   # a monitor of an earlier standalone build, a broken script state, ...
            notes.append(f"monitor {probe.attr(mon, 'name', '?')} could not be read: {type(exc).__name__}: {exc}")
            continue
        for name, o in obs.items():
            key, k = name, 2
            while key in out:
                key, k = f"{name}#{k}", k + 1
            out[key] = o
    return out


def read_named(observe: list[str], have: dict, notes: list[str], owner=None) -> dict:
    """`--observe obj.var` for Brian objects that are not monitors: final values of the variable (`owner`: the
    object, when the script's variable name was given)."""
    import gc

    from brian2.groups.group import VariableOwner
    wanted = [s for s in observe or [] if "." in s and not any(n == s or n.startswith(s + ".") for n in have)]
    wanted += [s for s in observe or [] if "." not in s and not any(n == s or n.startswith(s + ".") for n in have)]
    if not wanted:
        return {}
    owners = {}
    for obj in gc.get_objects():
        if probe.instance(obj, VariableOwner):
            name = probe.attr(obj, "name")
            if isinstance(name, str):
                owners.setdefault(name, obj)
    out = {}
    for sel in wanted:
        objname, _, var = sel.partition(".")
        obj = owner if owner is not None and probe.has(owner, "variables") else owners.get(objname)
        if obj is None or not var:
            notes.append(f"--observe {sel}: no monitor or object variable with that name")
            continue
        try:
            values = np.asarray(getattr(obj, var + "_")[:])
        except Exception as exc:
            notes.append(f"--observe {sel}: {type(exc).__name__}: {exc}")
            continue
        out[sel] = dict(kind="value", dt=None, unit=_unit(obj, var), N=None, arrays={"values": values})
    return out


def _number(x) -> bool:
    return probe.instance(x, (int, float, np.integer, np.floating)) and not probe.instance(x, (bool, np.bool_))


def _leaves(value, prefix: str, out: dict, depth: int = 0) -> None:
    """Numeric arrays/numbers in nested lists, tuples and dicts (str keys), named prefix.0.1 / prefix.key ...
    (at most 200). Only plain containers and arrays are looked into: any other object of the script is left
    alone (probing it may raise anything, see probe.py)."""
    if len(out) >= 200 or depth > 3:
        return
    if _number(value):
        value = np.asarray([value], dtype=float)
    if probe.instance(value, np.ndarray):
        if value.dtype.kind in "fiub" and value.size:
            out[prefix] = (np.asarray(value), _quantity_unit(value))
        return
    if probe.instance(value, (list, tuple)) and value:
        if all(_number(x) for x in value):
            out[prefix] = (np.asarray(value, dtype=float), "")
            return
        for k, x in enumerate(value):
            _leaves(x, f"{prefix}.{k}", out, depth + 1)
    elif probe.instance(value, dict) and value:
        for k in sorted(key for key in value if isinstance(key, str)):
            _leaves(value[k], f"{prefix}.{k}", out, depth + 1)


def imported(namespace: dict) -> set[str]:
    """Names bound to the very object a loaded module holds under the same name: what `from brian2 import *`,
    `from pylab import *` put there (unit constants, DEFAULT_UNITS, rcParams), not anything the script computed."""
    keys, out = {k for k in namespace if isinstance(k, str)}, set()
    for module in list(sys.modules.values()):
        if not isinstance(module, types.ModuleType):
            continue
        table = module.__dict__
        if table is namespace:
            continue
        for key in keys.intersection(table):
            if table[key] is namespace[key]:
                out.add(key)
    return out


def read_globals(namespace: dict, notes: list[str], only=None, prefix: str = "globals.") -> dict:
    """Module-level numeric arrays (also inside lists, tuples and dicts: ``NAME.3.1``, ``NAME.key``). `only`: the
    names to take (all when None, but for what the script imported; plain numbers are then not taken, as they are
    mostly parameters)."""
    out = {}
    skip = imported(namespace or {}) if only is None else set()
    for key, value in sorted((k, v) for k, v in (namespace or {}).items() if isinstance(k, str)):
        if key.startswith("_") or key in skip or (only is None and _number(value)) or probe.instance(value, bool):
            continue
        if only is not None and key not in only:
            continue
        found: dict = {}
        try:
            _leaves(value, f"{prefix}{key}", found)
        except Exception as exc:    # noqa: BLE001  (a container of the script's whose iteration raises)
            notes.append(f"module-level {key!r} could not be read: {type(exc).__name__}: {exc}")
            continue
        for name, (arr, unit) in found.items():
            out[name] = dict(kind="value", dt=None, unit=unit, N=None, arrays={"values": arr})
    if out and only is None:
        notes.append("no monitor could be read: compared the script's module-level numeric arrays instead"
                     + (f" ({len(skip)} imported name(s) left out, e.g. from brian2 import *'s units)" if skip else ""))
    return out


def _quantity_unit(value) -> str:
    try:
        return unit_text(probe.attr(value, "dim"))
    except Exception:       # noqa: BLE001
        return ""


_UNSET = object()


def results_after_run(sandbox) -> list[str]:
    """Names the script bound (or rebound) at module level after its first run(): its results (`w = S.w[:]`)."""
    ns, before = sandbox.namespace or {}, sandbox.before_run
    return [k for k, v in ns.items() if isinstance(k, str) and not k.startswith("_") and before.get(k, _UNSET) is not v
            and not callable(v) and not probe.has(v, "variables")]


def aliases(namespace: dict | None) -> dict:
    """Brian name -> the script's variable name, for monitors and groups bound at module level."""
    out: dict = {}
    for key, value in (namespace or {}).items():
        if not isinstance(key, str) or key.startswith("_") or not probe.module_of(value).startswith("brian2"):
            continue
        brian_name = probe.attr(value, "name")
        if isinstance(brian_name, str) and probe.has(value, "variables"):
            out.setdefault(brian_name, key)
    return out


def rename(observables: dict, names: dict) -> dict:
    """`statemonitor_1.v` -> `M.v` where the script calls the monitor M (its own name otherwise)."""
    out = {}
    for name, o in observables.items():
        head, dot, tail = name.partition(".")
        base, hash_, k = head.partition("#")
        new = names.get(base, base) + hash_ + k + dot + tail
        out[new if new not in out else name] = dict(o, brian_name=name)
    return out


def gather(sandbox, notes: list[str]) -> dict:
    """Everything the script produced: its monitors (read before a standalone reinit, then at the end), named as
    in the script, and its module-level results (bound after its first run(); all numeric arrays when it keeps no
    monitor)."""
    observables: dict = {}
    for snap in sandbox.snapshots:
        observables.update(snap)
    observables.update(read_monitors(sandbox.monitors, None, notes))
    observables = rename(observables, aliases(sandbox.namespace))
    if not observables:
        return read_globals(sandbox.namespace, notes)
    results = read_globals(sandbox.namespace, notes, only=set(results_after_run(sandbox)), prefix="")
    for name, o in results.items():
        if name not in observables:
            observables[name] = o
    return observables


def available(observables: dict, namespace: dict | None) -> list[str]:
    """What --observe can name: the observables, and `group.var` of the script's groups."""
    extra = []
    for key, value in (namespace or {}).items():
        if not probe.module_of(value).startswith(("brian2.groups", "brian2.synapses")):
            continue
        try:
            variables = probe.attr(value, "variables") or {}
            extra += [f"{key}.{v}" for v in variables
                      if not v.startswith("_") and v not in ("t", "dt", "N", "i", "j", "lastspike")
                      and "timestep" not in v
                      and probe.attr(variables[v], "dim") is not None and probe.has(variables[v], "size")][:6]
        except Exception:       # noqa: BLE001  (a hint for --observe only; a broken object offers none)
            continue
    return sorted(observables) + sorted(extra)


def select(observables: dict, observe: list[str], namespace: dict | None, notes: list[str]) -> tuple[dict, list]:
    """The observables that --observe names (script or Brian names, `obj.var` for a variable's final values);
    (selected, names that matched nothing)."""
    def matches(name: str, o: dict, sel: str) -> bool:
        return any(n == sel or n.startswith(sel + ".") for n in (name, o.get("brian_name", name)))
    out = {n: o for n, o in observables.items() if any(matches(n, o, sel) for sel in observe)}
    missing = [sel for sel in observe if not any(matches(n, o, sel) for n, o in observables.items())]
    unmatched = []
    for sel in missing:
        objname, _, var = sel.partition(".")
        obj = (namespace or {}).get(objname)
        got = read_named([sel], {}, notes, owner=obj) if var else {}
        if got:
            out.update(got)
        else:
            unmatched.append(sel)
    return out, unmatched


# --- storage ------------------------------------------------------------------------------------------------
def save(folder: str, observables: dict, meta: dict) -> None:
    os.makedirs(folder, exist_ok=True)
    arrays, index = {}, {}
    for k, (name, o) in enumerate(observables.items()):
        index[name] = {key: v for key, v in o.items() if key != "arrays"}
        index[name]["fields"] = list(o["arrays"])
        for field, arr in o["arrays"].items():
            arrays[f"o{k}_{field}"] = np.asarray(arr)
        index[name]["key"] = f"o{k}"
    np.savez(os.path.join(folder, "observables.npz"), **arrays)
    path = os.path.join(folder, "meta.json")
    with open(path + ".tmp", "w") as f:          # whole or absent: seed_stream.py reads it while the job runs
        json.dump(dict(meta, observables=index), f, indent=1, default=str)
    os.replace(path + ".tmp", path)


def load(folder: str) -> tuple[dict, dict]:
    """(observables, meta) as written by `save`; ({}, meta) when there are no arrays."""
    with open(os.path.join(folder, "meta.json")) as f:
        meta = json.load(f)
    index = meta.pop("observables", {})
    path = os.path.join(folder, "observables.npz")
    observables = {}
    if index and os.path.exists(path):
        with np.load(path) as data:
            for name, entry in index.items():
                arrays = {field: data[f"{entry['key']}_{field}"] for field in entry["fields"]}
                o = {k: v for k, v in entry.items() if k not in ("fields", "key")}
                observables[name] = dict(o, arrays=arrays)
    return observables, meta
