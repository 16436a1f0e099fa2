"""A model family defined outside harness/ (a plugin file): leaky decay dv/dt = -v/tau of independent neurons,
its Brian-free oracle and its variants. It proves that a family is one folder (here: one file) and runs through
`run`, `record`/`compare` and the report without any edit to harness/."""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

import numpy as np

from brian2_harness import Family, Model, register, register_family
from brian2_harness.errors import CaseError
from brian2_harness.families.bounds import NeuronBounds, stepwise_tolerance
from brian2_harness.families.cases import JsonCase
from brian2_harness.families.comparison import Comparison


@dataclass(frozen=True)
class DecayCase(JsonCase):
    FORMAT = "decay-case/1"
    v0: tuple = (1.0,)
    tau: float = 0.02
    dt: float = 1e-4
    period: float = 0.01
    duration: float = 0.03
    dtype: str = "float64"
    name: str = field(default="", compare=False)

    def __post_init__(self):
        object.__setattr__(self, "v0", tuple(float(x) for x in self.v0))
        if not self.v0:
            raise CaseError("v0", "needs at least one neuron")
        if self.tau <= 0:
            raise CaseError("tau", f"must be > 0, got {self.tau}")

    @classmethod
    def from_dict(cls, d):
        return cls(**d)

    n_steps = property(lambda self: int(round(self.duration / self.dt)))
    n_events = property(lambda self: int(round(self.duration / self.period)))
    n_post = property(lambda self: len(self.v0))

    def replace(self, **changes):
        return dataclasses.replace(self, **changes)

    def to_dict(self):
        d = dataclasses.asdict(self)
        d["v0"] = list(self.v0)
        return d


@dataclass(frozen=True)
class DecayNet:
    v0: np.ndarray
    tau: float
    dt: float
    period: float
    duration: float
    dtype: str
    n_pre: int = 0
    n_synapses: int = 0

    @property
    def n_post(self):
        return self.v0.size


class DecayFamily(Family):
    name = "decay"
    semantics = ("euler",)
    case_file_keys = ("v0",)

    def case_from_dict(self, d):
        return DecayCase.from_dict(d)

    def default_case(self, **changes):
        return DecayCase(v0=(1.0, 0.5, -2.0), name="default", **changes)

    def generate(self, n, seed, schedule=None):
        rng = np.random.default_rng(seed)
        return [DecayCase(v0=tuple(rng.uniform(-3, 3, rng.integers(1, 6))), name=f"d{seed}-{k:04d}")
                for k in range(n)]

    def batch_key(self, case):
        return (case.tau, case.dt, case.period, case.duration, case.dtype)

    def pack(self, cases):
        v0 = np.concatenate([np.asarray(c.v0) for c in cases])
        c = cases[0]
        blocks, start = [], 0
        for case in cases:
            blocks.append(slice(start, start + len(case.v0)))
            start += len(case.v0)
        return DecayNet(v0.astype(c.dtype), c.tau, c.dt, c.period, c.duration, c.dtype), blocks

    def split(self, cases, arrays):
        _, blocks = self.pack(cases)
        return [{"v": np.asarray(arrays["v"])[:, b]} for b in blocks]

    def oracle(self, cases, semantics):
        net, blocks = self.pack(cases)
        f = np.dtype(net.dtype).type
        v, out = net.v0.copy(), []
        spp = int(round(net.period / net.dt))
        for step in range(int(round(net.duration / net.dt))):
            v = (v + f(net.dt) * (-v / f(net.tau))).astype(net.dtype)   # Euler, as generated code does it
            if step % spp == 0:
                out.append(v.copy())
        return [{"v": np.array(out)[:, b]} for b in blocks]

    def compare(self, got, ref, case, dtype, oracle=None, arithmetic="ieee"):
        truth = oracle if oracle is not None else ref
        scale = np.max(np.abs(np.concatenate([truth["v"], [np.asarray(case.v0)]])), axis=0)
        tol = np.asarray(stepwise_tolerance(dtype, case.n_steps, scale)) * 4
        bounds = NeuronBounds(tol, tol, np.ones(tol.size, dtype=bool))
        d = np.abs(np.asarray(got["v"], dtype=float) - np.asarray(ref["v"], dtype=float))
        ratio = float(np.max(d / tol, initial=0.0))
        bad = np.argwhere(d > tol)
        first = None
        if bad.size:
            e, i = map(int, bad[0])
            first = {"observable": "v", "event": e, "index": i, "post": i, "device": float(got["v"][e, i]),
                     "reference": float(ref["v"][e, i]), "diff": float(got["v"][e, i] - ref["v"][e, i]),
                     "tolerance": float(tol[i]), "explanation": ""}
        reason = "within tolerance" if first is None else f"v[{first['event']}, {first['index']}] off by {d.max():.3g}"
        return Comparison(first is None, float(d.max(initial=0.0)), 0.0, float(tol.max()), float(tol.max()),
                          float(d.max(initial=0.0)), 0, 0, reason, ratio=ratio, first=first,
                          detection_limit=bounds.detection_limit())


FAMILY = register_family(DecayFamily())


def _build(net, tau_factor=1.0):
    from brian2 import NeuronGroup, StateMonitor, second

    g = NeuronGroup(net.n_post, "dv/dt = -v/tau : 1\ntau : second (constant)", method="euler", name="cells")
    g.v = net.v0
    g.tau = net.tau * tau_factor * second
    mon = StateMonitor(g, "v", record=True, dt=net.period * second, when="end", name="v_mon")
    return Model(objects=[g, mon], observe=lambda: {"v": np.asarray(mon.v_[:]).T.copy()})


register("decay_euler", "decay", _build, semantics="euler", description="leaky decay, Euler")
register("decay_wrong_tau", "decay", lambda net: _build(net, 1.01), semantics="euler",
         description="negative control: tau 1 % too long")
