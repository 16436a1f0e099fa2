"""brian2-harness: verify that Brian2 models mean the same on every backend.

Public API for variant and family authors: `register`, `variant`, `Model`, `Variant` (variants); `Family`,
`register_family` (model families); `Case`, `default_case` (the growth family's cases); the errors.
Everything else is internal and may move.
"""
from brian2_harness.errors import CaseError, UsageError
from brian2_harness.families import register_family
from brian2_harness.families.base import Family
from brian2_harness.families.growth.case import Case, default_case
from brian2_harness.registry import Model, Variant, register, variant

__all__ = ["Case", "CaseError", "Family", "Model", "UsageError", "Variant", "default_case", "register",
           "register_family", "variant"]
__version__ = "0.1.0"
