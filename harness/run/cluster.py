"""Jobs as Dask tasks: `--scheduler ADDRESS` (a running `dask scheduler`) or `--scheduler local[:N]` (a
LocalCluster of N single-thread workers on this machine).

The client plans and judges as locally; only the jobs travel (JSON text in, JSON text and npz bytes out:
run/cluster_task.py), so the results document is the one a local run writes apart from host and timing fields.
Work goes only to workers whose Brian2 / numpy / Python / Cython versions are the client's (else a usage error
naming what each worker offers). Jobs of one build family (run/dispatch.py) are placed on one worker, which
then compiles that family once and seeds its other builds from it; the placement is a preference
(`allow_other_workers`): when that worker dies its tasks run elsewhere, and a task during which workers died
repeatedly (Dask's `distributed.scheduler.allowed-failures`, default 3) becomes an error cell with the reason.
Dask is imported only here, and only when a scheduler is asked for.
"""
from __future__ import annotations

import contextlib
import json
import re
import shutil
import sys
import tempfile
import uuid
from pathlib import Path

from brian2_harness.devices import get_device
from brian2_harness.devices.openmp import cores
from brian2_harness.errors import UsageError
from brian2_harness.plumbing import processes
from brian2_harness.plumbing.cachedirs import default_cache_dir
from brian2_harness.plumbing.tasks import task_failure
from brian2_harness.run import cluster_task
from brian2_harness.run.dispatch import family

EXTRA = "pip install 'brian2-harness[cluster]'"
LOCAL = re.compile(r"local(?::(\d+))?")
_HOST = r"(?:[A-Za-z0-9](?:[A-Za-z0-9.\-]*[A-Za-z0-9])?|\[[0-9A-Fa-f:.]+\])"      # name, IPv4, [IPv6]
ADDRESS = re.compile(rf"(?:(?:tcp|tls|ucx)://)?{_HOST}:(\d{{1,5}})|inproc://\S+")
ALLOWED = "local, local:N (N workers on this machine, at most its cores) or a scheduler address tcp://HOST:PORT"


def require_dask(option: str = "--scheduler"):
    """The `distributed` module, or a usage error naming the extra that provides it."""
    try:
        import distributed
    except ImportError:
        raise UsageError(f"{option} needs Dask distributed, which is not installed: {EXTRA}") from None
    return distributed


def parse_scheduler(text: str) -> tuple[str | None, int | None]:
    """'local' / 'local:N' -> (None, N), N at most the cores here (local_note says so); 'tcp://host:port' or
    'host:port' -> (address, None). Anything else (the empty string included) is a usage error naming the forms."""
    m = LOCAL.fullmatch(text or "")
    if m:
        n = int(m.group(1) or 2)
        if n < 1:
            raise UsageError(f"--scheduler: local:N needs N >= 1, got {text!r} (expected {ALLOWED})")
        return None, min(n, cores())
    m = ADDRESS.fullmatch(text or "")
    if not m or (m.group(1) is not None and not 1 <= int(m.group(1)) <= 65535):
        raise UsageError(f"--scheduler: expected {ALLOWED}, got {text!r}")
    return text, None


def local_note(text: str) -> str:
    """The warning for a `local:N` above the cores here ('' otherwise)."""
    m = LOCAL.fullmatch(text or "")
    if m and m.group(1) and int(m.group(1)) > cores():
        return (f"--scheduler {text}: this machine has {cores()} core(s); starting {cores()} worker(s), "
                f"not {int(m.group(1))}")
    return ""


def _stop_worker_sessions() -> None:
    """On a worker of our own LocalCluster: end the device processes of its running tasks (they are sessions of
    their own, which closing the worker would leave running)."""
    processes.stop_all()


@contextlib.contextmanager
def _local(distributed, n: int, cache_dir):
    """A LocalCluster of `n` single-thread workers whose scratch space is a folder of the harness's cache (removed
    at the end: nothing in $TMPDIR), closed after ending its workers' device processes (a stop is prompt)."""
    env = {"BRIAN2_HARNESS_CACHE": str(cache_dir)} if cache_dir else {}
    root = Path(cache_dir) if cache_dir else default_cache_dir()
    root.mkdir(parents=True, exist_ok=True)
    scratch = tempfile.mkdtemp(prefix="dask-scratch-", dir=root)
    import dask
    try:
        with dask.config.set({"temporary-directory": scratch}), \
                distributed.LocalCluster(n_workers=n, threads_per_worker=1, processes=True, dashboard_address=":0",
                                         env=env, local_directory=scratch) as cluster, \
                distributed.Client(cluster) as client:
            try:
                yield client
            finally:
                with contextlib.suppress(Exception):
                    client.run(_stop_worker_sessions)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


@contextlib.contextmanager
def connect(text: str, timeout: float = 30.0, cache_dir=None):
    """A Dask client for `text` (parse_scheduler); a LocalCluster is started and closed here (its workers share
    `cache_dir`, this machine's build cache, when given)."""
    address, n_local = parse_scheduler(text)
    distributed = require_dask()
    if address is None:
        note = local_note(text)
        if note:
            print(f"brian2-harness: warning: {note}", file=sys.stderr)
        with _local(distributed, n_local, cache_dir) as client:
            yield client
        return
    try:
        client = distributed.Client(address, timeout=timeout)
    except (OSError, ValueError, TypeError) as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise UsageError(f"--scheduler: cannot reach the Dask scheduler at {address}: {first}") from None
    with client:
        yield client


def worker_environments(client) -> dict[str, dict]:
    """Worker address -> what it runs (cluster_task.worker_environment), asked of every worker now."""
    return client.run(cluster_task.worker_environment)


def same_environment(a: dict, b: dict) -> bool:
    return all(a.get(k) == b.get(k) for k in cluster_task.ENV_KEYS)


def workers_like_here(client) -> list[str]:
    """Workers whose versions are this process's; a usage error naming every worker's versions if none is."""
    here = cluster_task.worker_environment()
    envs = worker_environments(client)
    names = {a: str(w.get("name", a)) for a, w in client.scheduler_info().get("workers", {}).items()}
    # by worker name (`dask worker --name`), so that a rerun places each build family where its build is warm
    match = sorted((a for a, e in envs.items() if same_environment(e, here)), key=lambda a: (names.get(a, a), a))
    if not match:
        offered = "; ".join(sorted({cluster_task.env_label(e) for e in envs.values()})) or "no worker connected"
        raise UsageError(f"--scheduler: no worker runs this environment ({cluster_task.env_label(here)}); "
                         f"workers offer: {offered}")
    return match


def place(jobs: list, workers: list[str], use_cache: bool, standalone) -> dict[int, str]:
    """Job id -> preferred worker: each build family whole on one worker, families and runtime jobs spread so
    that workers get about as many cases each (largest first, deterministic)."""
    groups: dict = {}
    for k, j in enumerate(jobs):
        f = family(j, use_cache, standalone(j.device))
        groups.setdefault(f if f is not None else ("job", k), []).append(j)
    load = {w: 0 for w in workers}
    out = {}
    for key, members in sorted(groups.items(), key=lambda kv: (-sum(len(j.cases) for j in kv[1]), str(kv[0]))):
        w = min(workers, key=lambda x: (load[x], workers.index(x)))
        load[w] += sum(len(j.cases) for j in members)
        out.update({id(j): w for j in members})
    return out


def job_spec(job, config) -> str:
    return json.dumps({"variant": job.variant.name, "device": job.device, "dtype": job.dtype,
                       "cases": [c.to_dict() for c in job.cases], "case_ids": list(job.case_ids),
                       "batch": job.batch, "label": job.label, "mode": job.mode, "plugins": list(config.plugins),
                       "timeout": config.timeout, "keep_builds": config.keep_builds, "use_cache": config.use_cache,
                       "reuse_workers": config.reuse_workers})


def apply_outcome(job, result: dict) -> None:
    """A task's plain-data result into the client's own Job."""
    out = json.loads(result["outcome"])
    job.error, job.log, job.seconds = out["error"], out["log"], out["seconds"]
    job.timing = {**out["timing"], "worker": out["host"]}
    job.built, job.workarounds, job.cache = out["built"], out["workarounds"], out["cache"]
    job.arrays = cluster_task.load_arrays(result["arrays"]) if out["has_arrays"] else None


class DaskBackend:
    """The executor backend (run/executor.py `execute(backend=...)`) over a connected Dask client."""

    def __init__(self, client, workers: list[str]):
        self.client, self.workers = client, list(workers)
        self.tasks = 0

    def _submit(self, job, config, worker: str | None):
        self.tasks += 1
        key = f"b2h-{job.variant.name}-{job.device}-{job.dtype}-b{job.batch}-{uuid.uuid4().hex[:12]}"
        where = {"workers": [worker], "allow_other_workers": True} if worker else {"workers": self.workers}
        return self.client.submit(cluster_task.run_job_task, job_spec(job, config), key=key, pure=False,
                                  priority=-job.batch, **where)

    def run_all(self, jobs: list, config, progress=None) -> tuple[list, bool]:
        from distributed import as_completed
        where = place(jobs, self.workers, config.use_cache, lambda d: get_device(d).standalone)
        futures = {self._submit(j, config, where[id(j)]): j for j in sorted(jobs, key=lambda j: j.batch)}
        done, interrupted = [], False
        if progress:
            progress.start(len(jobs))
        try:
            for fut in as_completed(list(futures)):
                job = futures[fut]
                self._collect(fut, job)
                done.append(job)
                if progress:
                    progress.advance(job)
        except KeyboardInterrupt:
            interrupted = True
            self.client.cancel(list(futures))
        finally:
            if progress:
                progress.stop()
        return done, interrupted

    def run_one(self, job, config):
        fut = self._submit(job, config, None)
        self._collect(fut, job)
        return job

    @staticmethod
    def _collect(fut, job) -> None:
        try:
            apply_outcome(job, fut.result())
        except Exception as exc:          # a lost task is an error cell, never a lost cell
            job.arrays, job.error = None, task_failure(exc)


@contextlib.contextmanager
def backend(text: str | None, cache_dir=None):
    """None without a scheduler (the local pool), else a DaskBackend on the workers of this environment. An empty
    `text` is a usage error (parse_scheduler), never the local pool."""
    if text is None:
        yield None
        return
    with connect(text, cache_dir=cache_dir) as client:
        yield DaskBackend(client, workers_like_here(client))


def describe(text: str, b: DaskBackend) -> dict:
    """The `cluster` field of a results document (host information: not compared between runs)."""
    return {"scheduler": text, "workers": len(b.workers), "tasks": b.tasks}
