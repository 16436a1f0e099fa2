"""Style: everything inside `main()` (no Brian object at module level), its return value kept."""
from brian2 import *


def build(n):
    G = NeuronGroup(n, 'dv/dt = (1.25 - v) / (9*ms) : 1', threshold='v > 1', reset='v = 0', method='exact')
    G.v = 'i / (1.0 * N)'
    return G


def main():
    G = build(7)
    spikes = SpikeMonitor(G)
    trace = StateMonitor(G, 'v', record=[0, 6])
    net = Network(G, spikes, trace)
    net.run(20*ms)
    return spikes, trace


if __name__ == "__main__":
    spikes, trace = main()
