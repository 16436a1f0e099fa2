"""Growth family: dw/dt = g between events, heterosynaptic normalization every `period`.

Four ways of writing the same rule. They differ only in *when* the per-neuron total is taken,
which is exactly what their declared semantics say.
"""
from __future__ import annotations

import numpy as np

from brian2_harness.devices import runtime_devices
from brian2_harness.registry import Model, register

NORMALIZE = "w -= clip((S_post - B_post) / N_incoming, 0, inf)"


def growth_groups(net, summed: bool = True):
    """Pre/post groups and synapses with Euler growth; B is computed outside generated code."""
    from brian2 import Hz, NeuronGroup, Synapses

    pre = NeuronGroup(net.n_pre, "", name="pre")
    post = NeuronGroup(net.n_post, "B : 1\nS : 1" if summed else "B : 1", name="post")
    post.B = net.B
    eqs = "g : Hz (constant)\ndw/dt = g : 1 (clock-driven)"
    if summed:
        eqs += "\nS_post = w : 1 (summed)"
    syn = Synapses(pre, post, eqs, method="euler", name="syn")
    if net.n_synapses:  # brian2 2.10.1 fails on connect(i=[], j=[]): an empty network has no connect call
        syn.connect(i=net.i, j=net.j)
        syn.w = net.w0
        syn.g = net.g * Hz
    return pre, post, syn


def netop_reference(net):
    from brian2 import network_operation, second

    pre, post, syn = growth_groups(net, summed=False)
    j = net.j
    n_in = np.maximum(np.bincount(j, minlength=net.n_post), 1)
    B = np.asarray(net.B)

    @network_operation(dt=net.period * second, when="end", name="normalize")
    def normalize():
        if not net.n_synapses:   # Brian refuses to touch `w` of a never-connected Synapses
            return
        w = syn.w_[:]
        total = np.bincount(j, weights=w, minlength=net.n_post)
        syn.w_[:] = w - np.clip((total - B) / n_in, 0, np.inf)[j]

    return Model(objects=[pre, post, syn, normalize], synapses=syn)


def summed_seed(net):
    from brian2 import Clock, second

    pre, post, syn = growth_groups(net)
    syn.summed_updaters["S_post"]._clock = Clock(dt=net.period * second, name="summed_clock")
    syn.run_regularly(NORMALIZE, dt=net.period * second, when="end")
    return Model(objects=[pre, post, syn], synapses=syn)


def summed_aligned(net):
    from brian2 import Clock, second

    pre, post, syn = growth_groups(net)
    updater = syn.summed_updaters["S_post"]
    updater._clock = Clock(dt=net.period * second, name="summed_clock")
    updater.when, updater.order = "end", -1
    syn.run_regularly(NORMALIZE, dt=net.period * second, when="end", order=0)
    return Model(objects=[pre, post, syn], synapses=syn)


def summed_every_step(net):
    from brian2 import second

    pre, post, syn = growth_groups(net)
    syn.run_regularly(NORMALIZE, dt=net.period * second, when="end")
    return Model(objects=[pre, post, syn], synapses=syn)


register("netop_reference", "growth", netop_reference, semantics="aligned", devices=runtime_devices(),
         description="numpy normalization in a network_operation(when='end'); runtime devices only")
register("summed_seed", "growth", summed_seed, semantics="lagged", private_api=("_clock",),
         description="seed code: (summed) updater moved to the period clock via private _clock, "
                     "run_regularly(when='end')")
register("summed_aligned", "growth", summed_aligned, semantics="aligned", private_api=("_clock",),
         description="summed updater moved to the period clock via private _clock, rescheduled to when='end' "
                     "before the run_regularly")
register("summed_every_step", "growth", summed_every_step, semantics="lagged",
         description="public API only: summed updater every step in slot 'groups'")
