"""What a Dask worker runs for the harness (run/cluster.py submits these functions by name).

Every argument is JSON text and every result is plain data (JSON text, numbers, npz bytes), so no object of the
client's is unpickled here and the client loads arrays with `allow_pickle=False`. A job runs exactly as locally
(run/executor.py: `run_one`), in this worker's long-lived Brian processes (run/pool.py) and with this worker's
own build cache ($BRIAN2_HARNESS_CACHE of the worker, else ~/.cache/brian2-harness).
"""
from __future__ import annotations

import io
import json
import platform
import socket

import numpy as np

from brian2_harness.families import get_family
from brian2_harness.plumbing.cachedirs import default_cache_dir
from brian2_harness.registry import get
from brian2_harness.run.config import RunConfig
from brian2_harness.run.planner import Job
from brian2_harness.variant_sources import load_all
from brian2_harness.versions import CORE, CYTHON, NUMPY, installed_version

ENV_KEYS = CORE


def worker_environment() -> dict:
    """The versions this worker runs (the client routes work by them), its host and its cache folder."""
    env = {k: installed_version(k) for k in ("brian2", NUMPY, CYTHON, "brian2-harness")}
    return {**env, "python": platform.python_version(), "host": socket.gethostname(),
            "platform": platform.platform(), "cache_dir": str(default_cache_dir())}


def env_label(env: dict) -> str:
    """'brian2 2.10.1, numpy 2.5.0, python 3.12.3, cython 3.1.2': how a worker environment is named."""
    return ", ".join(f"{k} {env.get(k)}" for k in ENV_KEYS)


def _worker_threads() -> int:
    try:
        from distributed import get_worker
        return max(1, get_worker().state.nthreads)
    except (ImportError, ValueError, AttributeError):
        return 1


def run_job_task(spec_text: str) -> dict:
    """One planned job (run/cluster.py: `job_spec`) run here; its outcome as plain data."""
    from brian2_harness.run.executor import run_one

    spec = json.loads(spec_text)
    load_all(spec["plugins"])
    variant = get(spec["variant"])
    family = get_family(variant.family)
    cases = [family.case_from_dict({**c, "dtype": spec["dtype"]}) for c in spec["cases"]]
    job = Job(variant, spec["device"], spec["dtype"], cases, list(spec["case_ids"]), spec["batch"],
              label=spec["label"], mode=spec["mode"])
    config = RunConfig(variants=[variant.name], devices=[job.device], dtypes=[job.dtype], cases=cases,
                       plugins=list(spec["plugins"]), timeout=spec["timeout"], jobs=_worker_threads(),
                       keep_builds=spec["keep_builds"], use_cache=spec["use_cache"],
                       reuse_workers=spec["reuse_workers"])
    run_one(job, config)
    arrays = b""
    if job.arrays is not None:
        buf = io.BytesIO()
        np.savez(buf, **job.arrays)
        arrays = buf.getvalue()
    outcome = {"error": job.error, "log": f"{socket.gethostname()}:{job.log}" if job.log else "",
               "seconds": job.seconds, "timing": job.timing, "built": job.built, "workarounds": job.workarounds,
               "cache": job.cache, "has_arrays": job.arrays is not None, "host": socket.gethostname()}
    return {"outcome": json.dumps(outcome, default=str), "arrays": arrays}


def load_arrays(blob: bytes) -> dict:
    with np.load(io.BytesIO(blob), allow_pickle=False) as z:
        return {k: z[k] for k in z.files}
