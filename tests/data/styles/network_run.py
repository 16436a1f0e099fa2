"""Style: an explicit `Network(...)` and `net.run(...)` (no magic network)."""
from brian2 import Network, NeuronGroup, SpikeMonitor, StateMonitor, Synapses, ms

G = NeuronGroup(5, "dv/dt = (1.2 - v) / (10*ms) : 1", threshold="v > 1", reset="v = 0", method="exact")
G.v = "i / 5.0"
H = NeuronGroup(5, "dv/dt = -v / (5*ms) : 1", method="exact")
S = Synapses(G, H, on_pre="v_post += 0.2")
S.connect(j="i")
net = Network(G, H, S)
mon_spikes = SpikeMonitor(G)
mon_h = StateMonitor(H, "v", record=True)
net.add(mon_spikes, mon_h)
net.run(25 * ms)
