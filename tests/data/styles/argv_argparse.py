"""Style: command-line options with argparse (the defaults apply: the harness passes no arguments)."""
import argparse
import sys

from brian2 import NeuronGroup, SpikeMonitor, StateMonitor, ms, run

parser = argparse.ArgumentParser(description=__doc__)
parser.add_argument("--n", type=int, default=6)
parser.add_argument("--duration", type=float, default=20.0, help="ms")
args = parser.parse_args()
script_name = sys.argv[0]

G = NeuronGroup(args.n, "dv/dt = (1.2 - v) / (10*ms) : 1", threshold="v > 1", reset="v = 0", method="exact")
G.v = "i / (1.0 * N)"
spikes = SpikeMonitor(G)
trace = StateMonitor(G, "v", record=[0])
run(args.duration * ms)
