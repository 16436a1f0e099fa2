"""Style: the model under `if __name__ == "__main__":` (the harness runs the script as __main__)."""
from brian2 import *

if __name__ == "__main__":
    G = NeuronGroup(6, 'dv/dt = (1.2 - v) / (7*ms) : 1', threshold='v > 1', reset='v = 0', method='exact')
    G.v = 'i / 6.0'
    spikes = SpikeMonitor(G)
    trace = StateMonitor(G, 'v', record=[1, 4])
    run(20*ms)
    print(f"{spikes.num_spikes} spikes")
