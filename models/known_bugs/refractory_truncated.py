"""Very short refractory periods were truncated to 0 in generated code (Brian2 issue #1521, PR #1522).

Affected: Brian2 <= 2.6.0 (the refractory time was written into the abstract code with the `f` format, 6 decimal
          places: 0.4 us became `0.000000`, i.e. no refractoriness), on every device alike.
Fixed:    Brian2 2.7.0 (release notes: "Extremely short refractoriness periods were not converted into code
          correctly, truncating their value").
Shows as: a result change between releases (`check --against` a baseline); the devices agree with each other.
"""
from brian2 import NeuronGroup, SpikeMonitor, defaultclock, run, us

defaultclock.dt = 0.1 * us
# v grows by 1 per step: without refractoriness the neuron fires every step, with 0.4 us (4 steps) every 5th step
G = NeuronGroup(1, "dv/dt = 1/(0.1*us) : 1", threshold="v > 0.5", reset="v = 0", refractory=0.4 * us,
                method="euler")
spikes = SpikeMonitor(G)
run(5 * us)
