"""brian2-harness: verify that Brian2 models of weight normalization mean the same on every backend.

Public API for variant authors: `register`, `variant`, `Model`, `Case`. Everything else is internal.
"""
from brian2_harness.families.growth.case import Case, default_case
from brian2_harness.errors import CaseError, UsageError
from brian2_harness.registry import Model, Variant, register, variant

__all__ = ["Case", "CaseError", "Model", "UsageError", "Variant", "default_case", "register", "variant"]
__version__ = "0.1.0"
