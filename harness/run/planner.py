"""Plan a run: one `Job` per (variant, device, dtype, batch of cases that can share one network), and the cells
skipped up front with their reasons. Family-agnostic: the family says which cases a variant runs and how they batch.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from brian2_harness.cells.verdict import SKIP, Verdict
from brian2_harness.devices import BUILD, RUN, Probe, get_device
from brian2_harness.families import get_family
from brian2_harness.registry import Variant, get
from brian2_harness.run.config import REFERENCE_DEVICE, RunConfig


@dataclass
class Job:
    variant: Variant
    device: str
    dtype: str
    cases: list
    case_ids: list[str]
    batch: int
    label: str = ""
    mode: str = RUN                  # BUILD: the worker compiles the project and does not run it
    # filled in by execution
    arrays: dict | None = None
    error: str = ""
    log: str = ""
    seconds: float = 0.0
    timing: dict = field(default_factory=dict)
    built: bool = False              # a BUILD-mode job that compiled
    workarounds: list = field(default_factory=list)
    cache: dict = field(default_factory=dict)   # standalone build cache: used / warm / compiled


def case_ids(cases: list) -> list[str]:
    return [c.name or f"case{k:04d}" for k, c in enumerate(cases)]


def plan(config: RunConfig, probes: dict[str, Probe]) -> tuple[list[Job], list[Verdict]]:
    """Jobs to run and the cells that are skipped up front (with their reasons)."""
    jobs, skipped = [], []
    for vname in config.variants:
        v = get(vname)
        family = get_family(v.family)
        cases, cids = family.run_cases(config.cases_for(family))
        key_of = family.batch_key
        needs_reference = (config.against or v.semantics) is None
        devices = list(config.devices)
        if needs_reference and REFERENCE_DEVICE not in devices:
            devices.insert(0, REFERENCE_DEVICE)   # the reference every other device is compared with
        for dname in devices:
            dtypes = list(config.dtypes)
            if needs_reference and dname == REFERENCE_DEVICE and "float64" not in dtypes:
                dtypes.insert(0, "float64")
            for dtype in dtypes:
                reason = ""
                if not v.supports(dname):
                    reason = f"variant '{v.name}' declares it does not support {dname}"
                elif probes[dname].mode != RUN and not (probes[dname].mode == BUILD
                                                        and get_device(dname).supports_build_only):
                    reason = f"device {dname} unavailable: {probes[dname].reason}"
                if reason:
                    skipped += [Verdict(v.name, dname, dtype, cid, SKIP, reason=reason) for cid in cids]
                    continue
                by_key: dict[tuple, list[int]] = {}
                for k, c in enumerate(cases):
                    by_key.setdefault(key_of(c.replace(dtype=dtype)), []).append(k)
                for b, idx in enumerate(by_key.values()):
                    jobs.append(Job(v, dname, dtype, [cases[k].replace(dtype=dtype) for k in idx],
                                    [cids[k] for k in idx], b,
                                    label=f"{v.name} x {dname} x {dtype} (batch {b + 1}/{len(by_key)}, "
                                          f"{len(idx)} cases)" + (", build only" if probes[dname].mode == BUILD else ""),
                                    mode=probes[dname].mode))
    return jobs, skipped


