"""Running the matrix: config -> plan -> execute (worker processes) -> judge -> isolate failures -> verdicts."""
from brian2_harness.plumbing.cachedirs import default_cache_dir
from brian2_harness.run.config import REFERENCE_DEVICE, RunConfig
from brian2_harness.run.planner import Job, plan

__all__ = ["REFERENCE_DEVICE", "Job", "RunConfig", "RunResult", "default_cache_dir", "execute", "plan"]


def __getattr__(name):
    if name in ("RunResult", "execute"):
        # on first use: a worker process (run/worker.py) loads this package but never runs the executor
        from brian2_harness.run import executor
        return getattr(executor, name)
    raise AttributeError(f"module 'brian2_harness.run' has no attribute {name!r}")
