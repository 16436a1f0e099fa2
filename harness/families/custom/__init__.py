"""Custom family: a user's model with no oracle. Its variants build on the default growth network, return
`Model(observe=...)` and are checked device against device (numpy/float64 is the reference)."""
from __future__ import annotations

from brian2_harness.families import register_family
from brian2_harness.families.base import Family


class CustomFamily(Family):
    name = "custom"
    semantics = ()
    has_cases = False

    def _growth(self):
        from brian2_harness.families import get_family
        return get_family("growth")

    def case_from_dict(self, d):
        return self._growth().case_from_dict(d)

    def default_case(self, **changes):
        return self._growth().default_case(**changes)

    def run_cases(self, cases):
        return [self.default_case()], ["model"]

    def batch_key(self, case):
        return case.schedule_key

    def pack(self, cases):
        return self._growth().pack(cases)

    def split(self, cases, arrays):
        return [dict(arrays)]

    def case_sizes(self, case):
        return {}


FAMILY = register_family(CustomFamily())
