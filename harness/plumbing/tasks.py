"""How a task that ran elsewhere (a Dask worker) and never returned is described, the same for `run` and `check`."""
from __future__ import annotations


def task_failure(exc: BaseException) -> str:
    """The error's reason for a task that did not return."""
    name = type(exc).__name__
    if name == "KilledWorker":
        return f"the workers running this job died repeatedly (Dask KilledWorker): {exc}"
    return f"cluster task failed: {name}: {str(exc)[:500]}"
