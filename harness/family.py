"""Model families: what a case is, how cases share a network, what the oracle says, how to compare.

The matrix runner and the worker speak to a family only through this interface, so adding a family
touches neither. `custom` variants have no family-specific oracle: the runner compares devices instead.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .compare import Comparison, compare_growth, growth_tolerance


@dataclass(frozen=True)
class Family:
    name: str
    semantics: tuple[str, ...]          # oracle semantics a variant of this family may claim

    # The methods below are overridden by each family.
    def case_from_dict(self, d):
        raise NotImplementedError

    def default_case(self, **changes):
        raise NotImplementedError

    def generate(self, n: int, seed: int, schedule=None) -> list:
        raise NotImplementedError

    def batch_key(self, case) -> tuple:
        raise NotImplementedError

    def pack(self, cases):
        raise NotImplementedError

    def pad(self, net):
        """A padded network for cached standalone builds, or `net` unchanged if the family does not pad."""
        return net

    def split(self, cases, arrays: dict) -> list:
        """Device arrays of a packed run -> observables per case."""
        raise NotImplementedError

    def oracle(self, cases, semantics: str) -> list:
        raise NotImplementedError

    def compare(self, got, ref, case, dtype: str, oracle=None, arithmetic: str = "ieee") -> Comparison:
        """`oracle`: the oracle's observables when `ref` is another device's; `arithmetic`: the device's."""
        raise NotImplementedError


class GrowthFamily(Family):
    def case_from_dict(self, d):
        from .case import Case
        return Case.from_dict(d)

    def default_case(self, **changes):
        from .case import default_case
        return default_case(**changes)

    def generate(self, n, seed, schedule=None):
        from .generate import generate_cases
        return generate_cases(n, seed, schedule=schedule)

    def batch_key(self, case):
        return case.schedule_key

    def pack(self, cases):
        from .network import pack
        return pack(cases)

    def pad(self, net):
        from .network import pad
        return pad(net)

    def split(self, cases, arrays):
        from .observables import GrowthObservables
        net, blocks = self.pack(cases)
        obs = GrowthObservables(arrays["w_before"], arrays["w_after"], net.j, net.n_post)
        return [obs.block(b) for b in blocks]

    def oracle(self, cases, semantics):
        from .oracle import simulate
        net, blocks = self.pack(cases)
        ref = simulate(net, semantics)
        return [ref.block(b) for b in blocks]

    def compare(self, got, ref, case, dtype, oracle=None, arithmetic="ieee"):
        truth = oracle if oracle is not None else ref
        bounds = growth_tolerance(truth, dtype, case.n_steps, arithmetic)
        return compare_growth(got, ref, dtype=dtype, bounds=bounds, excess=truth.excess(),
                              determinate=getattr(truth, "determinate", None), increment=case.g * case.dt)


class MetaplasticFamily(Family):
    def case_from_dict(self, d):
        from .metaplastic import MetaCase
        return MetaCase.from_dict(d)

    def default_case(self, **changes):
        from .metaplastic import default_meta_case
        return default_meta_case(**changes)

    def generate(self, n, seed, schedule=None):
        from .generate import generate_meta_cases
        return generate_meta_cases(n, seed)

    def batch_key(self, case):
        return case.batch_key

    def pack(self, cases):
        from .metaplastic import pack_meta
        return pack_meta(cases)

    def split(self, cases, arrays):
        from .metaplastic_oracle import MetaObservables
        net, blocks = self.pack(cases)
        obs = MetaObservables.from_arrays(net, arrays)
        return [obs.block(b) for b in blocks]

    def oracle(self, cases, semantics):
        from .metaplastic_oracle import simulate_meta
        net, blocks = self.pack(cases)
        ref = simulate_meta(net)
        return [ref.block(b) for b in blocks]

    def compare(self, got, ref, case, dtype, oracle=None, arithmetic="ieee"):
        from .metaplastic_oracle import compare_meta, meta_tolerance
        truth = oracle if oracle is not None else ref
        tol = meta_tolerance(truth, case.n_steps, dtype)
        c = compare_meta(got, ref, tol)
        scale = max(float(np.max(np.abs(ref.w), initial=0.0)), float(np.finfo(np.float64).tiny))
        finite = [e for k, e in c.errors.items() if k in ("w", "total", "A_minus", "r")]
        max_abs = max(finite, default=0.0)
        has_syn = np.bincount(truth.j, minlength=truth.post_count.size) > 0
        limit = ({"min": float(tol.w[has_syn].min()), "max": float(tol.w[has_syn].max())} if has_syn.any() else None)
        worst = c.worst_post if c.worst_post is not None else (int(np.argmax(tol.w)) if tol.w.size else None)
        tol_w = float(tol.w[worst]) if worst is not None else 0.0
        tol_s = float(tol.total[worst]) if worst is not None else 0.0
        return Comparison(c.ok, c.errors.get("w", 0.0), c.errors.get("w", 0.0) / scale, tol_w, tol_s,
                          c.errors.get("total", 0.0), 0, 0,
                          c.reason if not c.ok else f"within tolerance (largest error {max_abs:.3g})",
                          ratio=c.ratio, detection_limit=limit)


FAMILIES: dict[str, Family] = {
    "growth": GrowthFamily("growth", ("aligned", "lagged")),
    "metaplastic": MetaplasticFamily("metaplastic", ("ordered",)),
}


def get_family(name: str) -> Family:
    return FAMILIES[name]
