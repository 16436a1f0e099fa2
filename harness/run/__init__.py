"""Running the matrix: config -> plan -> execute (worker processes) -> judge -> isolate failures -> verdicts.

Names are loaded on first use, so that light modules (devices, slots) can import `brian2_harness.run.*`
submodules without pulling in the executor.
"""
import importlib

_EXPORTS = {"REFERENCE_DEVICE": "config", "RunConfig": "config", "default_cache_dir": "config",
            "RunResult": "executor", "execute": "executor", "Job": "planner", "plan": "planner"}
__all__ = sorted(_EXPORTS)


def __getattr__(name):
    if name in _EXPORTS:
        return getattr(importlib.import_module(f"brian2_harness.run.{_EXPORTS[name]}"), name)
    raise AttributeError(f"module 'brian2_harness.run' has no attribute {name!r}")
