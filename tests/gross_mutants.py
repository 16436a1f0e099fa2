"""Seven gross bugs of the normalization rule, each claiming the aligned semantics (a plugin file).

Written independently of tests/mutants.py: they measure what a cell can see (docs/tolerances.md, "What a cell can see").
"""
import numpy as np

from brian2_harness import Model, register
from brian2_harness.models.growth import NORMALIZE, growth_groups


def _aligned(net, code, *, fix_B=None, period_factor=1, pre_sum=False):
    from brian2 import Clock, second

    pre, post, syn = growth_groups(net)
    if fix_B is not None:
        post.B = fix_B
    period = net.period * period_factor * second
    updater = syn.summed_updaters["S_post"]
    updater._clock = Clock(dt=period, name="summed_clock")
    updater.when, updater.order = "end", -1
    objects = [pre, post, syn]
    if code is not None:
        syn.run_regularly(code, dt=period, when="end", order=0)
    return Model(objects=objects, synapses=syn)


def no_normalization(net):
    return _aligned(net, None)


def divide_n_plus_1(net):
    return _aligned(net, "w -= clip((S_post - B_post) / (N_incoming + 1), 0, inf)")


def beta_squared(net):
    return _aligned(net, NORMALIZE, fix_B=np.asarray(net.B, dtype=np.float64) * net.beta)


def clip_sign_flipped(net):
    return _aligned(net, "w -= clip((S_post - B_post) / N_incoming, -inf, 0)")


def abs_excess(net):
    return _aligned(net, "w -= abs(S_post - B_post) / N_incoming")


def presynaptic_sum(net):
    """The total taken over the presynaptic neuron's outgoing weights instead of the postsynaptic one's."""
    from brian2 import Clock, Hz, NeuronGroup, Synapses, second

    pre = NeuronGroup(net.n_pre, "S : 1", name="pre")
    post = NeuronGroup(net.n_post, "B : 1", name="post")
    post.B = net.B
    syn = Synapses(pre, post, "g : Hz (constant)\ndw/dt = g : 1 (clock-driven)\nS_pre = w : 1 (summed)",
                   method="euler", name="syn")
    if net.n_synapses:
        syn.connect(i=net.i, j=net.j)
        syn.w = net.w0
        syn.g = net.g * Hz
    updater = syn.summed_updaters["S_pre"]
    updater._clock = Clock(dt=net.period * second, name="summed_clock")
    updater.when, updater.order = "end", -1
    syn.run_regularly("w -= clip((S_pre - B_post) / N_incoming, 0, inf)", dt=net.period * second, when="end",
                      order=0)
    return Model(objects=[pre, post, syn], synapses=syn)


def doubled_period(net):
    return _aligned(net, NORMALIZE, period_factor=2)


GROSS = {
    "gross_no_normalization": (no_normalization, "run_regularly removed"),
    "gross_divide_n_plus_1": (divide_n_plus_1, "divides the excess by N+1"),
    "gross_beta_squared": (beta_squared, "target beta^2 * sum w0"),
    "gross_clip_sign_flipped": (clip_sign_flipped, "clip(x, -inf, 0): raises weights below target"),
    "gross_abs_excess": (abs_excess, "subtracts |excess|: lowers weights also below target"),
    "gross_presynaptic_sum": (presynaptic_sum, "total over the presynaptic side"),
    "gross_doubled_period": (doubled_period, "normalizes every 2 periods"),
}
for _name, (_build, _desc) in GROSS.items():
    register(_name, "growth", _build, semantics="aligned", description=f"gross bug: {_desc}")
