"""Metaplastic rate-based family (MODEL-SPEC section 3): STDP whose LTD follows a postsynaptic rate estimate,
with the normalization of the growth family on top. Cases carry spike trains (`pre_spikes`, `post_spikes`).
The methods import their modules when first called (as in families/growth): generation needs Hypothesis."""
from __future__ import annotations

import numpy as np

from brian2_harness.families.base import Family
from brian2_harness.families.comparison import Comparison


class MetaplasticFamily(Family):
    name = "metaplastic"
    semantics = ("ordered",)
    corpus_size = 10
    case_file_keys = ("pre_spikes", "post_spikes")

    def case_from_dict(self, d):
        from brian2_harness.families.metaplastic.case import MetaCase
        return MetaCase.from_dict(d)

    def default_case(self, **changes):
        from brian2_harness.families.metaplastic.case import default_meta_case
        return default_meta_case(**changes)

    def generate(self, n, seed, schedule=None):
        from brian2_harness.families.metaplastic.generate import generate_meta_cases
        return generate_meta_cases(n, seed) if n else []

    def corpus_cases(self, n, seed, *, schedule=None, include_default=True):
        from brian2_harness.families.metaplastic.generate import META_SCHEDULE
        cases = list(self.generate(n, seed)) if n else []
        if include_default:
            cases.insert(0, self.default_case(**{k: META_SCHEDULE[k] for k in ("dt", "period", "T_meta", "duration")}))
        return cases, {"meta_schedule": dict(META_SCHEDULE)}

    def case_sizes(self, case):
        return {**super().case_sizes(case), "spikes": len(case.pre_spikes) + len(case.post_spikes)}

    def batch_key(self, case):
        return case.batch_key

    def pack(self, cases):
        from brian2_harness.families.metaplastic.case import pack_meta
        return pack_meta(cases)

    def split(self, cases, arrays):
        from brian2_harness.families.metaplastic.observables import MetaObservables
        net, blocks = self.pack(cases)
        obs = MetaObservables.from_arrays(net, arrays)
        return [obs.block(b) for b in blocks]

    def oracle(self, cases, semantics):
        from brian2_harness.families.metaplastic.oracle import simulate_meta
        net, blocks = self.pack(cases)
        ref = simulate_meta(net)
        return [ref.block(b) for b in blocks]

    def compare(self, got, ref, case, dtype, oracle=None, arithmetic="ieee"):
        from brian2_harness.families.metaplastic.compare import compare_meta, meta_tolerance
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
                          ratio=c.ratio, detection_limit=limit, first=c.first)

    def decode(self, case, arrays):
        from brian2_harness.families.metaplastic.observables import MetaObservables
        return MetaObservables(**{k: arrays[k] for k in ("w", "A_minus", "r", "pre_count", "post_count")},
                               i=np.asarray(case.i, dtype=np.int64), j=np.asarray(case.j, dtype=np.int64))

    def observed(self, got, ref, cmp):
        from brian2_harness.families.metaplastic.diagnose import compact
        return compact(got)

    def diagnose(self, cell, case, semantics):
        from brian2_harness.families.metaplastic.diagnose import diagnose
        return diagnose(cell, case)


FAMILY = MetaplasticFamily()   # registered by families/__init__.py
