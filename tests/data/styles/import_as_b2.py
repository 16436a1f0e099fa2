"""Style: `import brian2 as b2`, every name qualified."""
import brian2 as b2

G = b2.NeuronGroup(8, "dv/dt = (1.3 - v) / (8*ms) : 1", threshold="v > 1", reset="v = 0", method="exact")
G.v = "i / 8.0"
S = b2.Synapses(G, G, "w : 1", on_pre="v_post += w")
S.connect(j="(i + 1) % N_post")
S.w = 0.05
spikes = b2.SpikeMonitor(G)
trace = b2.StateMonitor(G, "v", record=[0, 3])
b2.run(20 * b2.ms)
