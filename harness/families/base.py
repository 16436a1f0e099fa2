"""The `Family` protocol: everything the runner, the worker, the upgrade check and the reports need of a model
family. A family is one folder (`families/<name>/`) registered by name (families/__init__.py); nothing outside
it tests a family's name, so a new family (from an installed package or a plugin file) needs no edit elsewhere.
"""
from __future__ import annotations

from brian2_harness.families.comparison import Comparison


class Family:
    """Defaults describe a family with cases, an oracle and named-array observables; override what differs."""

    name: str = ""
    semantics: tuple[str, ...] = ()      # oracle semantics a variant of this family may claim
    has_cases: bool = True               # False: variants run on the family's own fixed model (no generated cases)
    case_file_keys: tuple[str, ...] = ()  # a case-file entry with one of these keys belongs to this family
    case_file_default: bool = False      # case-file entries no family claims by key, and variants registered
    #                                      without a family, belong to this family (families.default_family)
    corpus_size: int = 10                # generated cases of this family in a corpus (`corpus --cases` overrides)

    # --- cases ------------------------------------------------------------------------------------------
    def case_from_dict(self, d: dict):
        raise NotImplementedError

    def claims(self, d: dict) -> bool:
        """Does a case-file entry belong to this family?"""
        return isinstance(d, dict) and any(k in d for k in self.case_file_keys)

    def default_case(self, **changes):
        raise NotImplementedError

    def generate(self, n: int, seed: int, schedule=None) -> list:
        raise NotImplementedError

    def corpus_cases(self, n: int, seed: int, *, schedule=None, include_default: bool = True) -> tuple[list, dict]:
        """Cases of this family for a corpus, and what to record about how they were made."""
        cases = list(self.generate(n, seed, schedule=schedule)) if n else []
        if include_default:
            cases.insert(0, self.default_case())
        return cases, {}

    def run_cases(self, cases: list) -> tuple[list, list[str]]:
        """The cases a variant of this family runs and their ids, given the run's cases of this family."""
        cases = cases or [self.default_case()]
        return cases, [c.name or f"case{k:04d}" for k, c in enumerate(cases)]

    def case_sizes(self, case) -> dict:
        return {"syn": len(getattr(case, "i", ())), "post": getattr(case, "n_post", 0),
                "events": getattr(case, "n_events", 0)}

    # --- packing and running ------------------------------------------------------------------------------
    def batch_key(self, case) -> tuple:
        raise NotImplementedError

    def pack(self, cases):
        raise NotImplementedError

    def pad(self, net):
        """A padded network for cached standalone builds, or `net` unchanged if the family does not pad."""
        return net

    def unpad(self, arrays: dict, net) -> dict:
        """Drop what `pad` added from a run's arrays (`net`: the unpadded network)."""
        return arrays

    def record(self, model, net):
        """(extra Brian objects, extract() -> named arrays): what the worker adds to record the observables.
        Default: the variant's own `Model.observe`."""
        if model.observe is None:
            raise TypeError(f"a {self.name} variant must return Model(observe=...)")
        import numpy as np
        return [], lambda: {k: np.array(v, copy=True) for k, v in model.observe().items()}

    def recording_code(self) -> list:
        """Functions whose source files decide what `record` adds to a build (part of the build-cache key)."""
        return [type(self).record]

    def split(self, cases, arrays: dict) -> list:
        """Device arrays of a packed run -> observables per case."""
        raise NotImplementedError

    # --- judging ------------------------------------------------------------------------------------------
    def oracle(self, cases, semantics: str) -> list:
        raise NotImplementedError

    def compare(self, got, ref, case, dtype: str, oracle=None, arithmetic: str = "ieee") -> Comparison:
        """Against the oracle (`ref` is the oracle) or a peer device (`oracle` given); `arithmetic`: the device's."""
        raise NotImplementedError

    def compare_devices(self, got, ref, case, dtype: str) -> Comparison:
        """Against another device's observables when there is no oracle: the per-step bound on named arrays."""
        # here: the package families.custom imports this module, so a top-level import would find it half-loaded
        from brian2_harness.families.custom.compare import compare_arrays
        return compare_arrays(self.encode(got), self.encode(ref), dtype=dtype, n_steps=case.n_steps)

    # --- storing and reporting -----------------------------------------------------------------------------
    def encode(self, obs) -> dict:
        """Named arrays from which `decode` rebuilds the observables (baselines, reports)."""
        return dict(obs.arrays()) if hasattr(obs, "arrays") else dict(obs)

    def decode(self, case, arrays: dict):
        return dict(arrays)

    def observed(self, got, ref, cmp: Comparison) -> dict | None:
        """A compact, JSON-friendly copy of a failing cell's observables for the reports (None: none)."""
        return None

    def diagnose(self, cell: dict, case, semantics: str | None):
        """What the report shows of a failing cell (families/diagnosis.py: Diagnosis), or None."""
        return None
