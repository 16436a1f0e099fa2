"""Growth family: dw/dt = g between events, heterosynaptic normalization every period (MODEL-SPEC section 1).

Everything the harness knows about this family is in this folder: cases, generation, packing, the oracle,
bounds, comparison, compact observables and the report's diagnosis. The methods import their modules when first
called, so that loading the family (every `import brian2_harness` does) stays cheap: generation needs Hypothesis,
the diagnosis matplotlib.
"""
from __future__ import annotations

import numpy as np

from brian2_harness.families.base import Family
from brian2_harness.families.growth.case import Case, default_case


class GrowthFamily(Family):
    name = "growth"
    semantics = ("aligned", "lagged")
    case_file_default = True
    corpus_size = 10

    def case_from_dict(self, d):
        return Case.from_dict(d)

    def default_case(self, **changes):
        return default_case(**changes)

    def generate(self, n, seed, schedule=None):
        from brian2_harness.families.growth.generate import generate_cases
        if schedule:
            Case(n_pre=1, n_post=1, dt=schedule[0], period=schedule[1], duration=schedule[2])   # validates it
        return generate_cases(n, seed, schedule=schedule) if n else []

    def corpus_cases(self, n, seed, *, schedule=None, include_default=True):
        cases = list(self.generate(n, seed, schedule=schedule)) if n else []
        if include_default:
            cases.insert(0, self.default_case(dt=schedule[0], period=schedule[1], duration=schedule[2])
                         if schedule else self.default_case())
        return cases, {}

    def batch_key(self, case):
        return case.schedule_key

    def pack(self, cases):
        from brian2_harness.families.growth.network import pack
        return pack(cases)

    def pad(self, net):
        from brian2_harness.families.growth.network import pad
        return pad(net)

    def unpad(self, arrays, net):
        n = net.n_synapses
        return {k: (v[:, :n] if k in ("w_before", "w_after") else v) for k, v in arrays.items()}

    def record(self, model, net):
        from brian2_harness.families.growth.record import record_weights
        if model.synapses is None:
            raise TypeError("a growth variant must return Model(synapses=...)")
        return record_weights(model, net)

    def recording_code(self):
        from brian2_harness.families.growth.record import record_weights
        return [record_weights]

    def split(self, cases, arrays):
        from brian2_harness.families.growth.observables import GrowthObservables
        net, blocks = self.pack(cases)
        obs = GrowthObservables(arrays["w_before"], arrays["w_after"], net.j, net.n_post)
        return [obs.block(b) for b in blocks]

    def oracle(self, cases, semantics):
        from brian2_harness.families.growth.oracle import simulate
        net, blocks = self.pack(cases)
        ref = simulate(net, semantics)
        return [ref.block(b) for b in blocks]

    def compare(self, got, ref, case, dtype, oracle=None, arithmetic="ieee"):
        from brian2_harness.families.growth.compare import compare_growth
        from brian2_harness.families.growth.tolerance import growth_bounds
        truth = oracle if oracle is not None else ref
        bounds = growth_bounds(truth, dtype, case.n_steps, arithmetic)
        return compare_growth(got, ref, dtype=dtype, bounds=bounds, excess=truth.excess(),
                              determinate=getattr(truth, "determinate", None), increment=case.g * case.dt)

    def compare_devices(self, got, ref, case, dtype):
        from brian2_harness.families.growth.compare import compare_growth
        return compare_growth(got, ref, dtype=dtype, n_steps=case.n_steps)

    def encode(self, obs):
        return {"w_before": obs.w_before, "w_after": obs.w_after}

    def decode(self, case, arrays):
        from brian2_harness.families.growth.observables import GrowthObservables
        return GrowthObservables(arrays["w_before"], arrays["w_after"], np.asarray(case.j, dtype=np.int64), case.n_post)

    def observed(self, got, ref, cmp):
        from brian2_harness.families.growth.observed import compact_observed
        return compact_observed(got, ref, cmp.tolerance)

    def diagnose(self, cell, case, semantics):
        from brian2_harness.families.growth.diagnose import diagnose
        return diagnose(cell, case, semantics)


FAMILY = GrowthFamily()   # registered by families/__init__.py
