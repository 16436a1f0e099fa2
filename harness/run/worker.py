"""The isolated process that runs one (variant, device, dtype, batch) cell.

Standalone devices are process-global in Brian2, so a worker runs one cell at a time, each in its own build
directory, and resets Brian between cells (`Device.reset`); a crash stays in its cell and the pool (run/pool.py)
starts a fresh process. Usage (internal):

    python -m brian2_harness.run.worker JOB.json      (one job, then exit)
    python -m brian2_harness.run.worker --serve       (job files on stdin, one after another: run/pool.py)

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

from brian2_harness.atomic import atomic_write_bytes, atomic_write_text
from brian2_harness.devices import get_device
from brian2_harness.families import get_family
from brian2_harness.plumbing.buildcache import binary_mtime, build_key, cached_build_dir, source_digest
from brian2_harness.registry import get
from brian2_harness.variant_sources import load_all


def _build_folder(job: dict, variant, device, family, net, build_only: bool):
    """The job's build folder, as a context giving (folder, warm): from the build cache (keyed by everything that
    changes the generated code), or the job's own folder when the cache is off or the device is not standalone."""
    if not (device.standalone and job.get("cache", True)):
        return contextlib.nullcontext((job["build_dir"], False))
    key = build_key(variant=variant.name, source=source_digest(variant.build), device=device.name,
                    dtype=job["dtype"], dt=net.dt, period=net.period, duration=net.duration,
                    shape=(net.n_pre, net.n_post, net.n_synapses), build_only=build_only,
                    harness="-".join(source_digest(f) for f in family.recording_code()))
    family_key = build_key(device=device.name, dtype=job["dtype"], dt=net.dt, build_only=build_only)
    return cached_build_dir(job["cache_dir"], f"{variant.name}-{device.name}-{job['dtype']}", key, family_key)


def run_job(job: dict) -> dict:
    """Build and run one job's packed cases on its device; the arrays its family records, timing and cache use."""
    t0 = time.perf_counter()
    load_all(job.get("plugins", ()))
    variant = get(job["variant"])
    device = get_device(job["device"])
    family = get_family(variant.family)
    cases = [family.case_from_dict({**c, "dtype": job["dtype"]}) for c in job["cases"]]    # validated once
    net, _ = family.pack(cases)
    real_net = net
    use_cache = device.standalone and job.get("cache", True)
    if use_cache:
        net = family.pad(net)   # growth: power-of-two shapes, so one build serves many batches

    import brian2
    from brian2 import prefs, second

    prefs.core.default_float_dtype = getattr(np, job["dtype"])
    prefs.logging.file_log = False
    prefs.logging.delete_log_on_exit = True
    build_only = job.get("mode", "run") == "build"   # BUILD-mode device: compile the project, do not run it
    folder = _build_folder(job, variant, device, family, net, build_only)
    compiled_dir = job.get("compiled_dir") or job["cache_dir"]     # Cython extensions (content-addressed)
    with folder as (build_dir, warm):
        binary_before = binary_mtime(build_dir)
        device.activate(build_dir, compiled_dir, **({"build_only": True} if build_only else {}))
        model = variant.build(net)
        try:
            extra, extract = family.record(model, net)
        except TypeError as exc:
            raise TypeError(f"variant '{variant.name}': {exc}") from None
        network = device.network(*model.objects, *extra)
        t_build = time.perf_counter()
        if build_only:
            device.build_only(network, net.duration * second)
            arrays = {}
        else:
            device.run(network, net.duration * second)
            arrays = extract()
        t_run = time.perf_counter()
        compiled = device.standalone and binary_mtime(build_dir) != binary_before
    if use_cache and arrays:
        arrays = family.unpad(arrays, real_net)
    timing = {"setup_s": t_build - t0, ("build_s" if build_only else "run_s"): t_run - t_build,
              **getattr(device, "timing", {})}
    return {
        "arrays": arrays,
        "built": build_only,
        "timing": timing,
        "cache": {"used": bool(use_cache), "warm": bool(warm), "compiled": bool(compiled),
                  **({"folder": build_dir} if use_cache else {})},
        "workarounds": list(getattr(device, "applied", [])),
        "brian2": brian2.__version__,
    }


def run_and_write(job: dict) -> int:
    """Run one job and write its result (or error record) atomically; 0 on success, 1 on error."""
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
                                                      "built": result.get("built", False),
                                                      "cache": result.get("cache", {}),
                                                      "workarounds": result.get("workarounds", [])}))
    return 0


def serve() -> int:
    """Long-lived mode (run/pool.py): job file paths arrive on stdin, one per line; each job's output goes to its
    own log (stdout/stderr redirected at the file-descriptor level, compilers included); after each job Brian is
    reset and "done RC" is written to the control channel (the original stdout). EOF on stdin: exit."""
    import gc
    import os

    control = os.fdopen(os.dup(1), "w", buffering=1)
    saved = os.dup(1), os.dup(2)
    devnull = os.open(os.devnull, os.O_WRONLY)
    environ = dict(os.environ)               # Brian's standalone run updates os.environ: restored after each job
    os.dup2(devnull, 1)                      # nothing outside a job may write into the control channel
    for line in iter(sys.stdin.readline, ""):
        path = line.strip()
        if not path:
            continue
        with open(path) as f:
            job = json.load(f)
        log = os.open(job["log"], os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        sys.stdout.flush(), sys.stderr.flush()
        os.dup2(log, 1), os.dup2(log, 2)
        rc = run_and_write(job)
        try:
            device = get_device(job["device"])
            if not device.reusable_process:
                rc = rc or 4          # this process serves no further job (the pool does not reuse it)
            else:
                device.reset()
                os.environ.clear()
                os.environ.update(environ)
                gc.collect()
        except BaseException:         # a process that cannot be reset serves no further job
            traceback.print_exc()
            rc = 3
        sys.stdout.flush(), sys.stderr.flush()
        os.dup2(devnull, 1), os.dup2(saved[1], 2)
        os.close(log)
        control.write(f"done {rc}\n")
        if rc != 0:                   # after any error the next job gets a fresh process
            return rc
    return 0


def main(argv: list[str]) -> int:
    if argv and argv[0] == "--serve":
        return serve()
    with open(argv[0]) as f:
        job = json.load(f)
    return run_and_write(job)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
