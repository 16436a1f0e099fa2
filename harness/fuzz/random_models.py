"""Hypothesis strategy for stochastic models (random numbers in generated code), checked in statistical mode.

A stochastic model is one NeuronGroup with a leaky variable `v` (`dv/dt = (mu - v) / tau`, method euler), and, each
switched on with its share (features.py): `rand()` in an initialisation, the threshold or the reset; `randn()` in an
initialisation or a run_regularly; a `(constant over dt)` subexpression drawing rand() or randn() (one that is on);
`xi` noise (an SDE); a `BinomialFunction` (n and p drawn, p in (0, 1); Brian's normal approximation where n·p > 5
and n·(1 − p) > 5, its exact algorithm otherwise or with `approximate=False`) and `poisson(l)` in run_regularly;
PoissonInput onto `v`; a PoissonGroup as the source of Synapses onto the group; a threshold and reset, a
PopulationRateMonitor. Every model has a StateMonitor (and a SpikeMonitor with a threshold), so its statistics can
be compared. Objects are named with `@` like strategies.py's models.

Valid by construction: `v` leaks towards a bounded drive (noise and inputs are bounded in mean and variance, the
reset bounded), binomial and Poisson values are bounded by n and a small l, nothing divides. Every code object draws
with at most one call (one random site per code object, no random call behind a short-circuit): numpy draws a whole
vector per call and cython/C++ one value per neuron per call, so two calls in one code object would hand the same
stream's values to other neurons, which the exact comparison of same-stream pairs would flag as a difference (a
false alarm). Which packs are stochastic: `stochastic_packs` (campaign.py).
"""
from __future__ import annotations

import math

from hypothesis import strategies as st

from .expressions import flag
from .strategies import Model
from .strategies import model as deterministic_model

# switched per model (their shares in features.py); "stochastic_packs" is drawn per pack (campaign.py)
MODEL_FEATURES = ("rand", "randn", "rand_eqs", "xi_noise", "binomial", "poisson", "poisson_input", "poisson_group",
                  "stochastic_rate_monitor")
PACK_FEATURE = "stochastic_packs"
NAMES = (PACK_FEATURE,) + MODEL_FEATURES


def deterministic_shares(shares: dict) -> dict:
    """The shares the deterministic strategy draws from: this module's left out, so that adding them leaves the
    deterministic models (their Hypothesis draws) exactly as they were."""
    return {k: v for k, v in shares.items() if k not in NAMES}


def strategy(shares: dict, stochastic: bool = False):
    """The model strategy of a pack: stochastic (this module) or deterministic (strategies.py)."""
    return stochastic_model(shares) if stochastic else deterministic_model(deterministic_shares(shares))


def _q(x: float) -> str:
    text = repr(float(x))
    return f"({text})" if x < 0 else text


def binomial_regime(n: int, p: float, approximate: bool) -> str:
    """'normal' where Brian's BinomialFunction uses its normal approximation, else 'exact'."""
    return "normal" if approximate and n * p > 5 and n * (1 - p) > 5 else "exact"


SMALLEST_QN = 1e-6


def exact_n(n: int, p: float) -> int:
    """n capped so that Brian's exact algorithm sees (1 - P)^n >= SMALLEST_QN, P = min(p, 1 - p): Brian 2.10.1
    writes that constant into the Cython/C++ code with 15 decimals, so below 5e-16 it is 0 and the inversion loop
    never ends (a hang, no comparison: not generated); from 1e-6 on it keeps 10 significant digits."""
    P = min(p, 1 - p)
    return max(1, min(n, int(math.log(SMALLEST_QN) / math.log(1 - P))))


def _threshold(draw, rand_site) -> list[str]:
    """threshold= and reset= arguments; rand() added to the condition (no short-circuit) or drawn by the reset."""
    level = 1.0 + draw(st.integers(0, 8)) / 4
    cond = f"v > {level!r}" + (f" + {draw(st.integers(1, 4)) / 4!r} * rand()" if rand_site == "threshold" else "")
    reset = (f"v = {draw(st.integers(1, 4)) / 4!r} * rand()" if rand_site == "reset"
             else f"v = {_q(draw(st.integers(-4, 2)) / 4)}")
    return [f"threshold={cond!r}", f"reset={reset!r}"]


def _poisson_group(draw) -> list[str]:
    """A PoissonGroup, Synapses from it onto the group (deterministic connect and on_pre), its SpikeMonitor."""
    lines = [f"@P = PoissonGroup({draw(st.integers(1, 40))}, rates={50 * draw(st.integers(1, 40))}*Hz, name='@P')"]
    how = draw(st.sampled_from(["", "condition='i <= j'", "condition='j == 0'"]))
    lines.append("@SP = Synapses(@P, @G, 'w : 1', on_pre='v_post += w', name='@SP')")
    lines.append(f"@SP.connect({how})")
    lines.append(f"@SP.w = '{draw(st.integers(1, 8)) / 16!r}'")
    return lines + ["@pspk = SpikeMonitor(@P, name='@pspk')"]


@st.composite
def stochastic_model(draw, shares: dict, max_n: int = 40):
    """One stochastic model (a `Model`)."""
    on = {name: draw(flag(shares.get(name, 0.0))) for name in MODEL_FEATURES}
    threshold = draw(flag(shares.get("threshold", 0.6)))
    n = draw(st.integers(1, max_n))
    tau = draw(st.integers(2, 20))
    mu = draw(st.integers(0, 12)) / 4
    drive, eqs = "", []
    functions = [f"{name}()" for name in ("rand", "randn") if on[name]]     # a switched-off function never shows
    if on["rand_eqs"] and not on["xi_noise"] and functions:    # one random call per state update: xi or this
        fn = draw(st.sampled_from(functions))
        eqs.append(f"r0 = {fn} : 1 (constant over dt)")
        drive = f" + {draw(st.integers(1, 8)) / 4!r} * r0"
    noise = f" + {draw(st.integers(1, 8)) / 4!r} * xi * ({tau}*ms)**-0.5" if on["xi_noise"] else ""
    eqs.insert(0, f"dv/dt = ({mu!r}{drive} - v) / ({tau}*ms){noise} : 1")
    rr = []          # run_regularly statements: one object each (one random call per code object)
    recorded = ["v"]
    site = draw(st.sampled_from(["run_regularly", "init"])) if on["randn"] else None      # randn's
    if site == "run_regularly":
        eqs.append("n0 : 1")
        recorded.append("n0")
        rr.append(f"n0 = {draw(st.integers(0, 3)) / 4!r} * n0 + {draw(st.integers(1, 8)) / 4!r} * randn()")
    lines = []
    if on["binomial"]:
        bn, bp = draw(st.integers(1, 200)), draw(st.integers(1, 63)) / 64
        approximate = draw(st.booleans())
        bn = exact_n(bn, bp) if binomial_regime(bn, bp, approximate) == "exact" else bn
        eqs.append("b0 : 1")
        recorded.append("b0")
        lines.append(f"@binom = BinomialFunction({bn}, {bp!r}, approximate={approximate}, name='@binom')")
        rr.append("b0 = @binom()")
    if on["poisson"]:
        eqs.append("p0 : 1")
        recorded.append("p0")
        rr.append(f"p0 = poisson({draw(st.integers(1, 80)) / 4!r})")
    args = [str(n), repr("\n".join(eqs))]
    rand_sites = (["init", "threshold", "reset"] if threshold else ["init"]) if on["rand"] else []
    rand_site = draw(st.sampled_from(rand_sites)) if rand_sites else None
    args += (_threshold(draw, rand_site) if threshold else []) + ["method='euler'"]
    lines.insert(0, f"@G = NeuronGroup({', '.join(args)}, name='@G')")
    if rand_site == "init":
        lines.append(f"@G.v = '{draw(st.integers(1, 8)) / 4!r} * rand()'")
    if site == "init":
        lines.append(f"@G.v = '{mu!r} + {draw(st.integers(1, 8)) / 4!r} * randn()'")
    for j, statement in enumerate(rr):
        lines.append(f"@G.run_regularly({statement!r}, dt={draw(st.integers(1, 5))}*defaultclock.dt, name='@rr{j}')")
    if on["poisson_input"]:
        lines.append(f"@PI = PoissonInput(@G, 'v', {draw(st.integers(1, 100))}, {50 * draw(st.integers(1, 20))}*Hz, "
                     f"weight='{draw(st.integers(1, 8)) / 16!r}')")
    if on["poisson_group"]:
        lines += _poisson_group(draw)
    lines.append(f"@mon = StateMonitor(@G, {recorded!r}, record=True, name='@mon')")
    if threshold:
        lines.append("@spk = SpikeMonitor(@G, name='@spk')")
    if on["stochastic_rate_monitor"] and (threshold or on["poisson_group"]):
        lines.append(f"@rate = PopulationRateMonitor({'@G' if threshold else '@P'}, name='@rate')")
    return Model(tuple(lines))
