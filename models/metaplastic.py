"""Metaplastic family in Brian2: rate trace in the reset, LTD amplitude law every T_meta, pair-based STDP with
event-driven traces, heterosynaptic normalization every period (model and step order: harness/metaplastic.py).

Spikes come from outside generated code so every device sees the same ones: pre spikes from a
SpikeGeneratorGroup, post spikes from `drive(t, i) > 0.5` on a 2-D TimedArray. B is computed before the run.
The normalization total S is a (summed) variable whose updater is moved to the period clock and to slot `end`
before the normalization (the `summed_aligned` scheme of the growth family; `_clock` is private API).
Not registered as variants yet: `build_metaplastic` returns a `Model`, `run_metaplastic` runs it.

Negative controls (`mutation=`, one at a time; harness.metaplastic.MUTATIONS): "post trace read before its own
update" is taken as the law reading the rate trace r before the reset (`post_trace_early`), because swapping
the two statements of on_post changes nothing (on_post does not read apost); `pathways_swapped` is the STDP
reading of it (the LTD reads apost after its same-step update).
"""
from __future__ import annotations

import functools

import numpy as np

from brian2_harness.families.metaplastic.case import MUTATIONS, ORDER_META, ORDER_MONITOR, ORDER_NORMALIZE, ORDER_SUMMED
from brian2_harness.families.metaplastic.observables import observables_from_monitors
from brian2_harness.registry import Model, register

POST_EQS = """dr/dt = -r/tau_r : Hz
A_minus : 1
B : 1
S : 1"""
SYN_EQS = """w : 1
dapre/dt = -apre/tau_pre : 1 (event-driven)
dapost/dt = -apost/tau_post : 1 (event-driven)
S_post = w : 1 (summed)"""
ON_PRE = "apre += A_plus\nw += (-A_minus_post) * apost"
ON_POST = "apost += 1\nw += apre"
RESET = "r += 1/tau_r"
LAW = "A_minus = A_minus0 / r_target * r"
NORMALIZE = "w -= clip((S_post - B_post) / N_incoming, 0, inf)"


def _code(mutation):
    """The statements of each part, with at most one negative control applied."""
    return {
        "reset": "r += 1*Hz" if mutation == "rate_plus_one" else RESET,
        "on_pre": "apre += A_plus\nw += A_minus_post * apost" if mutation == "stdp_sign_flipped" else ON_PRE,
        "on_post": "apost += 1\nw -= apre" if mutation == "stdp_sign_flipped" else ON_POST,
    }


def build_metaplastic(net, mutation: str | None = None, own_clocks: bool = False) -> Model:
    """Brian objects and monitors for a `MetaNetwork`; `observe()` gives the monitor arrays after the run.

    The groups and synapses run on `defaultclock` (its dt set to the network's): brian2cuda 1.0b1's synapses
    template refers to `defaultclock` when it launches a pathway kernel, so a project where every object has its
    own `dt=` clock does not compile for cuda_standalone (docs/cuda.md; ci/brian2cuda_defaultclock_repro.py).
    `own_clocks=True` builds the former variant (a `dt=` on each object) to show the results are bit-identical.
    """
    from brian2 import (
        Clock,
        Hz,
        NeuronGroup,
        SpikeGeneratorGroup,
        Synapses,
        TimedArray,
        defaultclock,
        prefs,
        second,
    )

    if mutation is not None and mutation not in MUTATIONS:
        raise ValueError(f"mutation must be one of {', '.join(MUTATIONS)} or None, got {mutation!r}")
    if np.dtype(prefs.core.default_float_dtype) != np.dtype(net.dtype):
        raise ValueError(f"prefs.core.default_float_dtype is {prefs.core.default_float_dtype}, "
                         f"the network is {net.dtype}")
    code = _code(mutation)
    dt = net.dt * second
    clock = {"dt": dt} if own_clocks else {}
    if not own_clocks:
        defaultclock.dt = dt
    ns = {"tau_pre": net.tau_pre * second, "tau_post": net.tau_post * second, "A_plus": net.A_plus,
          "A_minus0": net.A_minus0, "tau_r": net.tau_r * second, "r_target": net.r_target * Hz,
          "drive": TimedArray(net.drive(), dt=dt, name="drive")}
    pre = SpikeGeneratorGroup(net.n_pre, net.pre_idx, net.pre_step * dt, name="pre", **clock)
    post = NeuronGroup(net.n_post, POST_EQS, threshold="drive(t, i) > 0.5", reset=code["reset"], method="exact",
                       namespace=ns, name="post", **clock)
    post.r = net.r_target * Hz
    post.A_minus = net.A_minus0
    post.B = net.B
    syn = Synapses(pre, post, SYN_EQS, on_pre=code["on_pre"], on_post=code["on_post"], namespace=ns, name="syn",
                   **clock)
    if net.n_synapses:
        syn.connect(i=net.i, j=net.j)
        syn.w = net.w0
    else:  # brian2 2.10.1 fails on connect(i=[], j=[]); unconnected pathways refuse to run; this creates none
        syn.connect(False)
    if mutation == "pathways_swapped":
        syn.pre.order, syn.post.order = 1, -1
    updater = syn.summed_updaters["S_post"]
    updater._clock = Clock(dt=net.period * second)
    updater.when, updater.order = "end", ORDER_SUMMED
    syn.run_regularly(NORMALIZE, dt=net.period * second, when="end", order=ORDER_NORMALIZE, name="normalize")
    law_dt = dt if mutation == "ltd_every_step" else net.T_meta * second
    law_when = "before_resets" if mutation == "post_trace_early" else "end"
    post.run_regularly(LAW, dt=law_dt, when=law_when, order=ORDER_META, name="metaplasticity")

    return _monitored(net, pre, post, syn)


def _monitored(net, pre, post, syn) -> Model:
    """The model with its monitors: weights every normalization, rate and LTD amplitude every T_meta, spike
    counts; `observe()` reads them in (index, time) layout."""
    from brian2 import SpikeMonitor, StateMonitor, second
    record = bool(net.n_synapses)
    w_mon = StateMonitor(syn, "w", record=record, dt=net.period * second, when="end", order=ORDER_MONITOR,
                         name="w_mon")
    post_mon = StateMonitor(post, ["A_minus", "r"], record=True, dt=net.T_meta * second, when="end",
                            order=ORDER_MONITOR, name="post_mon")
    pre_spk, post_spk = SpikeMonitor(pre, record=False, name="pre_spk"), SpikeMonitor(post, record=False,
                                                                                      name="post_spk")

    def observe() -> dict:
        """Copies, since the monitors' buffers go with the network."""
        return {"w": np.array(w_mon.w_[:], copy=True) if record else np.zeros((0, 0)),
                "A_minus": np.array(post_mon.A_minus_[:], copy=True), "r": np.array(post_mon.r_[:], copy=True),
                "pre_count": np.array(pre_spk.count[:], copy=True),
                "post_count": np.array(post_spk.count[:], copy=True)}

    return Model(objects=[pre, post, syn, w_mon, post_mon, pre_spk, post_spk], synapses=syn, observe=observe)


build_rate_plus_one = functools.partial(build_metaplastic, mutation="rate_plus_one")
build_ltd_every_step = functools.partial(build_metaplastic, mutation="ltd_every_step")
build_stdp_sign_flipped = functools.partial(build_metaplastic, mutation="stdp_sign_flipped")
build_post_trace_early = functools.partial(build_metaplastic, mutation="post_trace_early")
build_pathways_swapped = functools.partial(build_metaplastic, mutation="pathways_swapped")
MUTANT_BUILDS = {"rate_plus_one": build_rate_plus_one, "ltd_every_step": build_ltd_every_step,
                 "stdp_sign_flipped": build_stdp_sign_flipped, "post_trace_early": build_post_trace_early,
                 "pathways_swapped": build_pathways_swapped}    # negative controls, see MUTATIONS


def run_metaplastic(net, mutation: str | None = None) -> dict:
    """Build and run on the active device; returns the observables as time-major arrays (`MetaObservables.arrays`).

    Sets `prefs.core.default_float_dtype` from `net.dtype`; the device (and build directory) is the caller's.
    """
    from brian2 import Network, prefs, second


    prefs.core.default_float_dtype = getattr(np, net.dtype)
    model = build_metaplastic(net, mutation)
    Network(*model.objects).run(net.duration * second)
    return observables_from_monitors(net, **model.observe()).arrays()


def with_observables(build, mutation: str | None = None):
    """A variant build function: the model whose `observe()` returns the family's observables."""
    def variant_build(net) -> Model:
        model = build(net, mutation)
        return Model(objects=model.objects,
                     observe=lambda: observables_from_monitors(net, **model.observe()).arrays())
    variant_build.__name__ = f"{build.__name__}_{mutation or 'variant'}"
    variant_build.__module__ = __name__
    return variant_build


register("metaplastic_stdp", "metaplastic", with_observables(build_metaplastic), semantics="ordered",
         private_api=("_clock",),
         description="rate trace in the reset, A_minus = A_minus0*r/r_target every T_meta, pair STDP, "
                     "normalization every period (aligned summed updater on the period clock via private _clock)")
