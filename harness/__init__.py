"""brian2-harness: verify that Brian2 models mean the same on every backend.

Public API for variant and family authors: `register`, `variant`, `Model`, `Variant` (variants); `Family`,
`register_family` (model families); `Case`, `default_case` (the growth family's cases); the errors.
Everything else is internal and may move.

The names are loaded on first use (PEP 562), so that `brian2-harness check` can start its process server before
it imports anything of the harness (entry.py).
"""
from importlib import import_module

_PUBLIC = {"CaseError": "brian2_harness.errors", "UsageError": "brian2_harness.errors",
           "register_family": "brian2_harness.families", "Family": "brian2_harness.families.base",
           "Case": "brian2_harness.families.growth.case", "default_case": "brian2_harness.families.growth.case",
           "Model": "brian2_harness.registry", "Variant": "brian2_harness.registry",
           "register": "brian2_harness.registry", "variant": "brian2_harness.registry"}

__all__ = sorted(_PUBLIC)
__version__ = "0.1.0"


def __getattr__(name: str):
    if name in _PUBLIC:
        value = getattr(import_module(_PUBLIC[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'brian2_harness' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_PUBLIC))
