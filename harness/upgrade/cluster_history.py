"""`history --scheduler ADDRESS --corpus CORPUS.json --out-dir DIR`: record the corpus once in every worker
environment of a Dask cluster, in parallel, then build the history table from those baselines as usual.

A worker started inside an environment (a venv or tox env with its Brian2, numpy, Python and Cython) reports
its versions when asked (run/cluster_task.py: `worker_environment`); each environment's `record` runs on one of
its own workers only (a hard restriction: never on a worker of another version). `--brian2 V1,V2,...` names the
Brian2 versions the history must contain: a version no worker offers is named as missing (exit status 1), as a
missing baseline file is, never skipped silently.
"""
from __future__ import annotations

import json
import os

from brian2_harness import variant_sources
from brian2_harness.errors import UsageError
from brian2_harness.run.cluster_task import ENV_KEYS, env_label, worker_environment
from brian2_harness.upgrade.baseline import write_baseline
from brian2_harness.upgrade.corpus import load_corpus
from brian2_harness.upgrade.record import record


def record_task(spec_text: str) -> dict:
    """On a worker: `record` of the corpus with this worker's Brian2; the baseline file's bytes."""
    import tempfile

    spec = json.loads(spec_text)
    variant_sources.load_all([])
    with tempfile.TemporaryDirectory(prefix="b2h-record-") as tmp:
        corpus_path = os.path.join(tmp, "corpus.json")
        with open(corpus_path, "w") as f:
            f.write(spec["corpus"])
        baseline, result = record(load_corpus(corpus_path), spec["variants"], spec["devices"], spec["dtypes"],
                                  timeout=spec["timeout"], jobs=spec.get("jobs"))
        if result.interrupted:
            return {"error": "interrupted on the worker", "baseline": b""}
        out = os.path.join(tmp, "baseline.npz")
        write_baseline(baseline, out)
        with open(out, "rb") as f:
            return {"error": "", "baseline": f.read(), "environment": json.dumps(worker_environment())}


def environments(envs: dict[str, dict]) -> dict[tuple, list[str]]:
    """(brian2, numpy, python, cython) -> the workers that run it (sorted)."""
    out: dict[tuple, list[str]] = {}
    for addr, env in sorted(envs.items()):
        out.setdefault(tuple(env.get(k) for k in ENV_KEYS), []).append(addr)
    return out


def file_name(key: tuple) -> str:
    brian2, numpy, python, cython = key
    return f"brian2-{brian2}-numpy{numpy}-py{python}-cython{cython}.npz"


def record_everywhere(client, corpus_path: str, out_dir: str, *, variants: list[str], devices: list[str],
                      dtypes: list[str], timeout: float, wanted: list[str], say=print) -> tuple[list[str], list[str]]:
    """Record in every worker environment (all of them at once); (baseline paths written, missing versions)."""
    from distributed import as_completed

    from brian2_harness.plumbing.tasks import task_failure
    from brian2_harness.run.cluster import worker_environments

    with open(corpus_path) as f:
        corpus = f.read()
    by_env = environments(worker_environments(client))
    offered = {key[0] for key in by_env}
    missing = [f"brian2 {v} (no worker runs it; workers offer {', '.join(sorted(offered)) or 'nothing'})"
               for v in wanted if v not in offered]
    chosen = {k: w for k, w in by_env.items() if not wanted or k[0] in wanted}
    os.makedirs(out_dir, exist_ok=True)
    futures = {}
    for key, workers in chosen.items():
        spec = json.dumps({"corpus": corpus, "variants": variants, "devices": devices, "dtypes": dtypes,
                           "timeout": timeout})
        fut = client.submit(record_task, spec, key=f"b2h-record-{file_name(key)}", pure=False, workers=workers,
                            allow_other_workers=False)
        futures[fut] = key
        say(f"recording on {len(workers)} worker(s) of {env_label(dict(zip(ENV_KEYS, key)))}")
    written = []
    for fut in as_completed(list(futures)):
        key = futures[fut]
        name = env_label(dict(zip(ENV_KEYS, key)))
        try:
            result = fut.result()
        except Exception as exc:         # the version is named as missing, with the reason
            missing.append(f"{name}: {task_failure(exc)}")
            continue
        if result["error"]:
            missing.append(f"{name}: {result['error']}")
            continue
        path = os.path.join(out_dir, file_name(key))
        with open(path, "wb") as f:
            f.write(result["baseline"])
        written.append(path)
        say(f"recorded {name} -> {path}")
    return sorted(written), missing


def check_args(args) -> None:
    if not args.corpus or not args.out_dir:
        raise UsageError("history --scheduler needs --corpus CORPUS.json and --out-dir DIR (where the baselines go)")
    if args.baselines:
        raise UsageError("history --scheduler records its baselines; give no baseline files")
