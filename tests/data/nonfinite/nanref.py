"""A reference whose recorded values are all NaN (issue 35): against finite.py it must fail, never agree."""
import numpy as np
from brian2 import NeuronGroup, StateMonitor, ms, run

G = NeuronGroup(3, "dv/dt = -v / (10*ms) : 1", method="exact")
G.v = np.nan
trace = StateMonitor(G, "v", record=True)
run(1 * ms)
