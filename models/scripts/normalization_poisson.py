"""Stochastic variant of the heterosynaptic normalization family (issue 13, item 4): a plain Brian2 script.

Instead of the deterministic growth term dw/dt = g, every presynaptic spike of a Poisson input potentiates its
synapse (w += eta; Hebbian drive by presynaptic activity as in Wu et al. 2020, PNAS 117:12), and every T_norm the
incoming weights of each postsynaptic neuron are normalized to B_i = beta * sum_j w_ij(0):

    w_ij <- w_ij - clip((S_i - B_i) / N_i, 0, inf),   S_i = sum_j w_ij,   N_i = N_incoming

with the `(summed)` updater moved to slot 'end' before the `run_regularly` (the aligned schedule of the
deterministic family: S_i includes the potentiation of the event's own time step).

The Poisson spikes come from generated code (PoissonGroup: rand() in the threshold), so devices draw different
random numbers and are compared statistically:

    brian2-harness check models/scripts/normalization_poisson.py --mode stat --devices numpy,cython,cpp_standalone

Connectivity, initial weights and B are drawn outside generated code with a fixed generator (the same network for
every seed and device). The script checks the family's core property itself: after every normalization event
the total incoming weight of every neuron is at most B_i (up to rounding); a violation is an error.
"""
import numpy as np
from brian2 import Hz, NeuronGroup, PoissonGroup, SpikeMonitor, StateMonitor, Synapses, defaultclock, ms, run, second

N_pre, N_post = 100, 10
rate = 20 * Hz            # rate of every presynaptic Poisson neuron
eta = 0.02                # potentiation per presynaptic spike
beta = 1.08               # target factor: B_i = beta * sum_j w_ij(0)
T_norm = 100 * ms         # normalization period
duration = 1 * second
defaultclock.dt = 0.1 * ms

rng = np.random.RandomState(20200310)          # fixed network: identical on every device and for every seed
pre_idx, post_idx = np.nonzero(rng.rand(N_pre, N_post) < 0.5)
w0 = rng.uniform(0.1, 1.0, size=len(pre_idx))
B = beta * np.bincount(post_idx, weights=w0, minlength=N_post)   # computed before the run, outside generated code

inp = PoissonGroup(N_pre, rate, name="input")
post = NeuronGroup(N_post, """S : 1
                              B : 1 (constant)""", name="post")
post.B = B
syn = Synapses(inp, post, """w : 1
                             S_post = w : 1 (summed)""", on_pre="w += eta", name="syn")
syn.connect(i=pre_idx, j=post_idx)
syn.w = w0
updater = syn.summed_updaters["S_post"]
updater.when, updater.order = "end", -1        # total after this step's potentiation (aligned schedule)
syn.run_regularly("w -= clip((S_post - B_post) / N_incoming, 0, inf)", dt=T_norm, when="end", order=0,
                  name="normalize")

input_spikes = SpikeMonitor(inp, name="input_spikes")
weights = StateMonitor(syn, "w", record=True, dt=T_norm, when="end", order=2, name="weights")

run(duration)

# The family's core property, checked on every device: after each event, sum_j w_ij <= B_i (rounding aside).
w = np.asarray(weights.w_)                             # (synapses, events)
totals = np.array([np.bincount(post_idx, weights=w[:, k], minlength=N_post) for k in range(w.shape[1])])
excess = totals - B[None, :]
assert np.all(excess <= 1e-9 * B.max()), f"normalization violated: largest excess {excess.max():.3g}"
