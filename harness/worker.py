"""The isolated process that runs one (variant, device, dtype, batch) cell.

Standalone devices are process-global in Brian2, so every cell gets its own interpreter and build
directory: pytest-xdist workers never collide and a crash stays in its cell. Usage (internal):

    python -m brian2_harness.worker JOB.json

The job names an output file; the worker writes it atomically: observables (.npz) on success, or an
error record (.json next to it) describing what went wrong.
"""
from __future__ import annotations

import contextlib
import json
import sys
import time
import traceback

import numpy as np

from .atomic import atomic_write_bytes, atomic_write_text
from .buildcache import binary_mtime, build_key, cached_build_dir, source_digest


def _record_growth(model, net):
    """Monitors around the normalization: slot `end`, order -100 (before) and +100 (after)."""
    from brian2 import StateMonitor, second

    record = bool(net.n_synapses)
    kw = dict(record=record, dt=net.period * second, when="end")
    before = StateMonitor(model.synapses, "w", order=-100, name="w_before", **kw)
    after = StateMonitor(model.synapses, "w", order=100, name="w_after", **kw)

    def extract() -> dict:
        shape = (net.n_events, net.n_synapses)
        out = {}
        for key, mon in (("w_before", before), ("w_after", after)):
            # copy: the monitor's buffer is freed with the network
            values = np.array(mon.w_[:], copy=True) if record else np.zeros((0, net.n_events))
            out[key] = np.ascontiguousarray(values.T).reshape(shape) if values.size else np.zeros(shape, dtype=net.dtype)
        return out

    return [before, after], extract


def run_job(job: dict) -> dict:
    from .devices import get_device
    from .family import get_family
    from .registry import get, load_all

    t0 = time.perf_counter()
    load_all(job.get("plugins", ()))
    variant = get(job["variant"])
    device = get_device(job["device"])
    family = get_family("growth" if variant.family == "custom" else variant.family)
    cases = [family.case_from_dict(c).replace(dtype=job["dtype"]) for c in job["cases"]]
    net, _ = family.pack(cases)
    n_real = net.n_synapses
    use_cache = device.standalone and job.get("cache", True)
    if use_cache:
        net = family.pad(net)   # growth: power-of-two shapes, so one build serves many batches

    import brian2
    from brian2 import prefs, second

    prefs.core.default_float_dtype = getattr(np, job["dtype"])
    prefs.logging.file_log = False
    prefs.logging.delete_log_on_exit = True
    build_only = job.get("mode", "run") == "build"   # BUILD-mode device: compile the project, do not run it
    if use_cache:
        key = build_key(variant=variant.name, source=source_digest(variant.build), device=device.name,
                        dtype=job["dtype"], dt=net.dt, period=net.period, duration=net.duration,
                        shape=(net.n_pre, net.n_post, net.n_synapses), build_only=build_only,
                        harness=source_digest(_record_growth))
        folder = cached_build_dir(job["cache_dir"], f"{variant.name}-{device.name}-{job['dtype']}", key)
    else:
        folder = contextlib.nullcontext((job["build_dir"], False))
    with folder as (build_dir, warm):
        binary_before = binary_mtime(build_dir)
        device.activate(build_dir, job["cache_dir"], **({"build_only": True} if build_only else {}))
        model = variant.build(net)
        extra, extract = ([], None)
        if variant.family == "growth":
            if model.synapses is None:
                raise TypeError(f"growth variant '{variant.name}' must return Model(synapses=...)")
            extra, extract = _record_growth(model, net)
        elif model.observe is None:
            raise TypeError(f"custom variant '{variant.name}' must return Model(observe=...)")
        network = device.network(*model.objects, *extra)
        t_build = time.perf_counter()
        if build_only:
            device.build_only(network, net.duration * second)
            arrays = {}
        else:
            device.run(network, net.duration * second)
            arrays = extract() if extract else {k: np.array(v, copy=True) for k, v in model.observe().items()}
        t_run = time.perf_counter()
        compiled = device.standalone and binary_mtime(build_dir) != binary_before
    if use_cache and arrays and variant.family == "growth":
        arrays = {k: (v[:, :n_real] if k in ("w_before", "w_after") else v)
                  for k, v in arrays.items()}   # drop the padding synapses
    timing = {"setup_s": t_build - t0, ("build_s" if build_only else "run_s"): t_run - t_build,
              **getattr(device, "timing", {})}
    return {
        "arrays": arrays,
        "built": build_only,
        "timing": timing,
        "cache": {"used": bool(use_cache), "warm": bool(warm), "compiled": bool(compiled)},
        "workarounds": list(getattr(device, "applied", [])),
        "brian2": brian2.__version__,
    }


def main(argv: list[str]) -> int:
    job_path = argv[0]
    with open(job_path) as f:
        job = json.load(f)
    out = job["out"]
    try:
        result = run_job(job)
    except BaseException as exc:  # every failure becomes an error record for the parent
        record = {
            "error_type": type(exc).__name__,
            "message": str(exc)[:2000],
            "traceback": traceback.format_exc()[-6000:],
        }
        atomic_write_text(out + ".error.json", json.dumps(record))
        traceback.print_exc()
        return 1
    import io
    buf = io.BytesIO()
    np.savez_compressed(buf, **result["arrays"])
    atomic_write_bytes(out, buf.getvalue())
    atomic_write_text(out + ".meta.json", json.dumps({"timing": result["timing"], "brian2": result["brian2"],
                                                      "built": result.get("built", False), "cache": result.get("cache", {}),
                                                      "workarounds": result.get("workarounds", [])}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
