"""A small stochastic plastic network: 100 Poisson inputs -> 100 LIF neurons through pair-based STDP synapses.

Random numbers are drawn in generated code (the Poisson spikes, the initial weights), so
devices agree run by run only where they draw from the same random stream (numpy and cpp_standalone do at the
same seed; cython does not). The negative controls of the harness change one parameter on one device
(taupre, the STDP amplitudes, taum, the input rate) and `check` must flag them. The wiring is drawn with a fixed
numpy generator outside generated code (Brian's `connect(p=...)` draws differently on numpy and C++).
"""
import numpy as np
from brian2 import (NeuronGroup, PoissonGroup, SpikeMonitor, Synapses, defaultclock, Hz, ms, mV, run)

N_in, N_out = 100, 100
rate = 40 * Hz              # input rate of every Poisson neuron
taum = 10 * ms              # membrane time constant
taupre = 20 * ms            # STDP time constants
taupost = 20 * ms
w_max = 1.0
dApre = 0.01 * w_max        # STDP amplitudes (LTD slightly stronger)
dApost = -1.05 * dApre
w_scale = 3 * mV            # depolarization per unit weight
duration = 200 * ms
defaultclock.dt = 0.1 * ms

inputs = PoissonGroup(N_in, rate)
neurons = NeuronGroup(N_out, "dv/dt = (-60*mV - v) / taum : volt", threshold="v > -54*mV", reset="v = -60*mV",
                      method="exact")
neurons.v = -60 * mV
syn = Synapses(inputs, neurons, """w : 1
                                   dapre/dt = -apre / taupre : 1 (event-driven)
                                   dapost/dt = -apost / taupost : 1 (event-driven)""",
               on_pre="""v_post += w * w_scale
                         apre += dApre
                         w = clip(w + apost, 0, w_max)""",
               on_post="""apost += dApost
                          w = clip(w + apre, 0, w_max)""")
pre, post = np.nonzero(np.random.RandomState(2024).rand(N_in, N_out) < 0.2)   # fixed wiring, 20 % of the pairs
syn.connect(i=pre, j=post)
syn.w = "rand() * w_max"
input_spikes = SpikeMonitor(inputs)
output_spikes = SpikeMonitor(neurons)
run(duration)
w_final = syn.w[:]
