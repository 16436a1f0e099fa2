"""Known-bad variants (negative controls), loaded as a plugin: the harness must flag every one of them."""
import numpy as np

from brian2_harness import Model, register
from brian2_harness.models.growth import NORMALIZE, growth_groups, summed_aligned, summed_seed


def _aligned_with(net, code, fix_B=None):
    from brian2 import Clock, second

    pre, post, syn = growth_groups(net)
    if fix_B is not None:
        post.B = fix_B
    updater = syn.summed_updaters["S_post"]
    updater._clock = Clock(dt=net.period * second, name="summed_clock")
    updater.when, updater.order = "end", -1
    syn.run_regularly(code, dt=net.period * second, when="end", order=0)
    return Model(objects=[pre, post, syn], synapses=syn)


def no_clip(net):
    return _aligned_with(net, "w -= (S_post - B_post) / N_incoming")


def beta_ignored(net):
    return _aligned_with(net, NORMALIZE, fix_B=np.bincount(net.j, weights=net.w0.astype(float), minlength=net.n_post))


def n_outgoing(net):
    return _aligned_with(net, "w -= clip((S_post - B_post) / N_outgoing, 0, inf)")


register("mutant_no_clip", "growth", no_clip, semantics="aligned", description="clip removed")
register("mutant_beta_ignored", "growth", beta_ignored, semantics="aligned", description="B = sum w0 (beta ignored)")
register("mutant_n_outgoing", "growth", n_outgoing, semantics="aligned", description="N_outgoing instead of N_incoming")
register("mutant_lag_claims_aligned", "growth", summed_seed, semantics="aligned",
         description="lagged seed code claiming the aligned semantics")
register("mutant_unclaimed_lag", "growth", summed_seed, semantics=None,
         description="no oracle: checked device against device (agrees everywhere; used as a positive control)")
register("mutant_aligned_no_oracle", "growth", summed_aligned, semantics=None,
         description="no oracle: device against device")

MUTANTS = ["mutant_no_clip", "mutant_beta_ignored", "mutant_n_outgoing", "mutant_lag_claims_aligned"]

# Metaplastic family negative controls: each mutation of the model must be caught against its oracle.
from brian2_harness.models.metaplastic import build_metaplastic, with_observables  # noqa: E402

META_MUTANTS = {}
for _m in ("rate_plus_one", "ltd_every_step", "stdp_sign_flipped", "post_trace_early", "pathways_swapped"):
    META_MUTANTS[f"meta_{_m}"] = _m
    register(f"meta_{_m}", "metaplastic", with_observables(build_metaplastic, _m), semantics="ordered",
             description=f"metaplastic negative control: {_m}")

# The metaplastic model as it was before it moved to defaultclock (every object with its own dt= clock): the
# built-in must give bit-identical results on the CPU devices (tests/test_metaplastic_matrix.py).


def build_metaplastic_own_clocks(net, mutation=None):
    return build_metaplastic(net, mutation, own_clocks=True)


register("metaplastic_own_clocks", "metaplastic", with_observables(build_metaplastic_own_clocks), semantics="ordered",
         description="metaplastic_stdp with a dt= clock on every object (the pre-defaultclock build)")
