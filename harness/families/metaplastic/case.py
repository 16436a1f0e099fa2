"""Metaplastic rate-based family, Brian-free: the model's definition, cases, packing, negative controls.

The oracle, observables and tolerances are in `metaplastic_oracle`; the Brian model in models/metaplastic.py.

Model (MODEL-SPEC section 3), per postsynaptic neuron i and synapse s = (pre p -> post i):

    dr_i/dt = -r_i/tau_r (exact);     at a post spike of i:  r_i += 1/tau_r        (reset)
    every T_meta:                     A_minus_i = (A_minus0/r_target) * r_i         (metaplasticity law)
    traces per synapse, event-driven: dapre/dt = -apre/tau_pre,  dapost/dt = -apost/tau_post
    on_pre  (pre spike of p):         apre += A_plus;  w += (-A_minus_i) * apost    (LTD)
    on_post (post spike of i):        apost += 1;      w += apre                   (LTP)
    every period:                     w -= clip((S_i - B_i)/N_i, 0, inf),  S_i = sum of w onto i (section 1)

Weights are unbounded. r starts at r_target, A_minus at A_minus0, traces at 0, B_i = beta*sum_j w0_ij.
Spikes are inputs: pre spikes from a SpikeGeneratorGroup, post spikes from `drive(t, i) > 0.5`.

One time step, in Brian 2.10.1's order: groups (r decays) -> thresholds (pre and post spikes) ->
synapses: pre pathway (order -1: traces decay to t, then on_pre in order) before post pathway (order +1)
-> resets (r += 1/tau_r) -> end: summed updater S (ORDER_SUMMED), normalization (ORDER_NORMALIZE),
metaplasticity (ORDER_META), monitors (ORDER_MONITOR). A simultaneous pre/post pair is therefore LTP of
A_plus: the LTD reads apost before this step's +1, the LTP reads apre after this step's +A_plus. The law
reads r after this step's reset. Normalization (reads S, B, N, w; writes w) and the law (reads r; writes
A_minus) touch disjoint variables, so their relative order has no effect; it is fixed all the same.
Events fire at t = 0, period, 2*period, ... (and 0, T_meta, ...) in slot `end`.

Arithmetic follows the generated code: stored variables are rounded to `dtype`; t, lastupdate and the
namespace constant A_plus are float64; constants Brian hoists out of the loop (exp(-dt/tau_r), 1/tau_r,
1/tau_pre, 1/tau_post, A_minus0/r_target) are rounded to `dtype` (as cpp_standalone stores them); w += x*y
is done in `dtype`; S is summed sequentially in `dtype`.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

import numpy as np

from brian2_harness.errors import CaseError
from brian2_harness.families.cases import (
    DTYPES,
    MAX_STEPS,
    JsonCase,
    Packed,
    _is_multiple,
    _require_float,
    count,
    validate_connectivity,
)

META_FORMAT = "brian2-harness-metacase/1"
MAX_SPIKES = 1_000_000
MAX_DRIVE_CELLS = 20_000_000        # n_steps * n_post values of the post-spike TimedArray
ORDER_SUMMED, ORDER_NORMALIZE, ORDER_META, ORDER_MONITOR = 0, 1, 2, 10
PARAMS = ("tau_pre", "tau_post", "A_plus", "A_minus0", "tau_r", "r_target")

# Negative controls for the *Brian model* (models/metaplastic.py); the oracle never has them.
MUTATIONS = {
    "rate_plus_one": "reset r += 1 Hz instead of r += 1/tau_r",
    "ltd_every_step": "LTD amplitude law run every time step instead of every T_meta",
    "stdp_sign_flipped": "on_pre potentiates (w += A_minus*apost), on_post depresses (w -= apre)",
    "post_trace_early": "the law reads the post rate trace r before its own update (slot before_resets)",
    "pathways_swapped": "post pathway before pre pathway: LTD reads apost after its same-step update",
}


def _int(v) -> int:
    if isinstance(v, bool) or not (isinstance(v, (int, np.integer)) or (isinstance(v, float) and v.is_integer())):
        raise TypeError(f"{v!r} is not an integer")
    return int(v)


def _pair(p) -> tuple[int, int]:
    if isinstance(p, (str, bytes)) or len(p) != 2:
        raise TypeError(f"{p!r} is not a (neuron, step) pair")
    return _int(p[0]), _int(p[1])


@dataclass(frozen=True)
class MetaCase(JsonCase):
    """One metaplastic network. Times in seconds, r_target in Hz; spikes are (neuron, time step) pairs."""

    FORMAT = META_FORMAT
    KIND = "metaplastic case"

    n_pre: int
    n_post: int
    i: tuple[int, ...] = ()
    j: tuple[int, ...] = ()
    w0: tuple[float, ...] = ()
    pre_spikes: tuple[tuple[int, int], ...] = ()
    post_spikes: tuple[tuple[int, int], ...] = ()
    tau_pre: float = 0.02
    tau_post: float = 0.02
    A_plus: float = 0.01
    A_minus0: float = 0.0105
    tau_r: float = 0.2
    r_target: float = 5.0
    T_meta: float = 0.05
    period: float = 0.1
    beta: float = 1.08
    duration: float = 0.5
    dt: float = 1e-4
    dtype: str = "float64"
    name: str = field(default="", compare=False)

    def __post_init__(self):
        pairs = "(neuron, step) pairs of integers"
        self.freeze_sequences((("i", _int, "numbers"), ("j", _int, "numbers"), ("w0", float, "numbers"),
                               ("pre_spikes", _pair, pairs), ("post_spikes", _pair, pairs)))
        validate_meta(self)


    @property
    def batch_key(self) -> tuple:
        """Cases with equal keys share one network: same clocks, precision and model constants (beta may differ)."""
        return (self.dt, self.duration, self.period, self.T_meta, self.dtype) + tuple(getattr(self, p) for p in PARAMS)

    def replace(self, **changes) -> "MetaCase":
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict:
        d = dataclasses.asdict(self)
        for k in ("i", "j", "w0"):
            d[k] = list(getattr(self, k))
        for k in ("pre_spikes", "post_spikes"):
            d[k] = [list(p) for p in getattr(self, k)]
        return d


def _check_spikes(case: MetaCase, name: str, n_neurons: int, n_steps: int) -> None:
    spikes = getattr(case, name)
    if len(spikes) > MAX_SPIKES:
        raise CaseError(name, f"{len(spikes)} spikes exceed the limit of {MAX_SPIKES} per case")
    for k, (n, s) in enumerate(spikes):
        if not 0 <= n < n_neurons:
            raise CaseError(name, f"neuron index {n} at position {k} is out of range [0, {n_neurons - 1}]")
        if not 0 <= s < n_steps:
            raise CaseError(name, f"step {s} at position {k} is out of range [0, {n_steps - 1}]")
    if len(set(spikes)) != len(spikes):
        raise CaseError(name, "a neuron spikes at most once per time step; remove the duplicate pairs")


def validate_meta(case: MetaCase) -> None:
    """Raise `CaseError` for the first invalid field, naming it and the allowed values."""
    validate_connectivity(case)
    for name in ("tau_pre", "tau_post", "tau_r", "r_target", "beta", "dt", "T_meta", "period", "duration"):
        _require_float(case, name, positive=True)
    for name in ("A_plus", "A_minus0"):
        _require_float(case, name, positive=False)
    if case.dtype not in DTYPES:
        raise CaseError("dtype", f"must be one of {', '.join(DTYPES)}, got {case.dtype!r}")
    for name, step, step_name in (("period", case.dt, "dt"), ("T_meta", case.dt, "dt"),
                                  ("duration", case.period, "period"), ("duration", case.T_meta, "T_meta")):
        if not _is_multiple(getattr(case, name), step):
            raise CaseError(name, f"must be a whole multiple of {step_name}={step}, got {getattr(case, name)}")
    if case.duration / case.dt > MAX_STEPS:
        raise CaseError("duration", f"{case.duration / case.dt:.0f} time steps exceed the limit of {MAX_STEPS}")
    if case.n_steps * case.n_post > MAX_DRIVE_CELLS:
        raise CaseError("duration", f"n_steps*n_post = {case.n_steps * case.n_post} exceeds {MAX_DRIVE_CELLS} "
                        "(size of the post-spike drive)")
    _check_spikes(case, "pre_spikes", case.n_pre, case.n_steps)
    _check_spikes(case, "post_spikes", case.n_post, case.n_steps)


# --- packing -------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class MetaNetwork(Packed):
    """What the Brian model builds from and the oracle simulates. Spike arrays are sorted by (step, neuron)."""

    n_pre: int
    n_post: int
    i: np.ndarray           # int32 per synapse
    j: np.ndarray           # int32 per synapse
    w0: np.ndarray          # in `dtype`
    B: np.ndarray           # per post neuron, in `dtype`, computed here (outside generated code)
    beta: np.ndarray        # per post neuron, float64
    pre_idx: np.ndarray     # int32
    pre_step: np.ndarray    # int64
    post_idx: np.ndarray
    post_step: np.ndarray
    tau_pre: float
    tau_post: float
    A_plus: float
    A_minus0: float
    tau_r: float
    r_target: float
    T_meta: float
    period: float
    duration: float
    dt: float
    dtype: str

    n_norm_events = Packed.n_events         # normalization events (every `period`)

    @property
    def steps_per_meta(self) -> int:
        return count(self.T_meta, self.dt)

    @property
    def n_meta_events(self) -> int:
        return count(self.duration, self.T_meta)

    def drive(self) -> np.ndarray:
        """(n_steps, n_post) 0/1 values for the TimedArray whose `> 0.5` makes the post spikes."""
        d = np.zeros((self.n_steps, self.n_post))
        d[self.post_step, self.post_idx] = 1.0
        return d


@dataclass(frozen=True)
class MetaBlock:
    """Where one case sits inside a packed network."""

    syn: slice
    pre: slice
    post: slice


def _spike_arrays(parts: list) -> tuple[np.ndarray, np.ndarray]:
    pairs = np.array([p for part in parts for p in part], dtype=np.int64).reshape(-1, 2)
    order = np.lexsort((pairs[:, 0], pairs[:, 1]))
    return pairs[order, 0].astype(np.int32), pairs[order, 1]


def pack_meta(cases: list[MetaCase]) -> tuple[MetaNetwork, list[MetaBlock]]:
    """Block-diagonal packing of cases with equal `batch_key`; beta (hence B) may differ per case."""
    if not cases:
        raise ValueError("pack_meta() needs at least one case")
    keys = {c.batch_key for c in cases}
    if len(keys) != 1:
        raise ValueError("cases with different clocks, dtype or model constants cannot share a network: "
                         f"{sorted(keys)}")
    first, dtype = cases[0], cases[0].dtype
    pre_off = post_off = syn_off = 0
    i_p, j_p, w_p, beta_p, pre_p, post_p, blocks = [], [], [], [], [], [], []
    for c in cases:
        n = len(c.i)
        i_p.append(np.asarray(c.i, dtype=np.int64).reshape(n) + pre_off)
        j_p.append(np.asarray(c.j, dtype=np.int64).reshape(n) + post_off)
        w_p.append(np.asarray(c.w0, dtype=np.float64).reshape(n))
        beta_p.append(np.full(c.n_post, c.beta))
        pre_p.append([(a + pre_off, s) for a, s in c.pre_spikes])
        post_p.append([(a + post_off, s) for a, s in c.post_spikes])
        blocks.append(MetaBlock(slice(syn_off, syn_off + n), slice(pre_off, pre_off + c.n_pre),
                                slice(post_off, post_off + c.n_post)))
        pre_off, post_off, syn_off = pre_off + c.n_pre, post_off + c.n_post, syn_off + n
    j = np.concatenate(j_p).astype(np.int32)
    w0 = np.concatenate(w_p).astype(dtype)
    beta = np.concatenate(beta_p)
    # B_i = beta_i * sum_j w0_ij: float64 sum of the stored weights, then stored in dtype
    B = (beta * np.bincount(j, weights=w0.astype(np.float64), minlength=post_off)).astype(dtype)
    (pre_idx, pre_step), (post_idx, post_step) = _spike_arrays(pre_p), _spike_arrays(post_p)
    net = MetaNetwork(n_pre=pre_off, n_post=post_off, i=np.concatenate(i_p).astype(np.int32), j=j, w0=w0, B=B,
                      beta=beta, pre_idx=pre_idx, pre_step=pre_step, post_idx=post_idx, post_step=post_step,
                      **{p: getattr(first, p) for p in PARAMS}, T_meta=first.T_meta, period=first.period,
                      duration=first.duration, dt=first.dt, dtype=dtype)
    return net, blocks


def default_meta_case(**changes) -> MetaCase:
    """The documented default: 8 pre -> 4 post all-to-all over 0.2 s (2 normalization events, 4 updates),
    regular pre spikes, post spikes that include a pre/post coincidence (step 50), a spike on a normalization
    step (1000) and spikes on metaplasticity steps (500, 1500)."""
    i = [a for a in range(8) for _ in range(4)]
    j = [b for _ in range(8) for b in range(4)]
    w0 = [round(0.1 + 0.7 * ((7 * k) % 32) / 31, 6) for k in range(32)]
    pre = sorted({(a, s) for a in range(8) for s in range(50 + 37 * a, 2000, 150 + 23 * a)})
    post = sorted({(b, s) for b in range(4) for s in range(120 + 61 * b, 2000, 110 + 41 * b)}
                  | {(0, 50), (1, 1000), (2, 500), (3, 1500)})
    return MetaCase(n_pre=8, n_post=4, i=i, j=j, w0=w0, pre_spikes=pre, post_spikes=post, name="default",
                    **{"duration": 0.2, **changes})
