"""Style: input read from a data file by a relative path (the script's folder is the working directory)."""
import numpy as np
from brian2 import NeuronGroup, SpikeMonitor, StateMonitor, ms, run

currents = np.loadtxt("inputs/currents.txt")
G = NeuronGroup(len(currents), "dv/dt = (I - v) / (10*ms) : 1\nI : 1", threshold="v > 1", reset="v = 0",
                method="exact")
G.I = currents
spikes = SpikeMonitor(G)
trace = StateMonitor(G, "v", record=[0, len(currents) - 1])
run(20 * ms)
