"""Custom family: a user's model with no oracle. Its variants build on the default growth network, return
`Model(observe=...)` and are checked device against device (numpy/float64 is the reference)."""
from __future__ import annotations

from brian2_harness.families.base import Family
from brian2_harness.families.growth import FAMILY as GROWTH


class CustomFamily(Family):
    name = "custom"
    semantics = ()
    has_cases = False

    def _growth(self):
        return GROWTH

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


FAMILY = CustomFamily()   # registered by families/__init__.py
