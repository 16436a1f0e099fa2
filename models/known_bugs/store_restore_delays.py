"""`restore()` did not restore synaptic delays (Brian2 issue #1726).

Affected: Brian2 <= 2.9.0 on the runtime devices (numpy, cython): delays set after `store()` survived `restore()`.
          Standalone devices do not support store/restore (skipped).
Fixed:    Brian2 2.10.0 (release notes: "The Network.store/Network.restore mechanism did not take into account
          synaptic delays").
Shows as: a result change between releases (`check --against` a baseline); numpy and cython agree with each other.
"""
from brian2 import NeuronGroup, SpikeGeneratorGroup, StateMonitor, Synapses, ms, restore, run, store

source = SpikeGeneratorGroup(1, [0], [0] * ms)
target = NeuronGroup(5, "v : 1")
syn = Synapses(source, target, on_pre="v += 1")
syn.connect()
syn.delay = "(j + 1) * ms"          # staggered arrivals at 1, 2, 3, 4, 5 ms
arrivals = StateMonitor(target, "v", record=True)
store()
syn.delay = 0 * ms                  # a trial with other delays ...
restore()                           # ... undone: the staggered delays must be back
run(7 * ms)
