"""`run_args` could not set arrays of objects whose names contain upper-case letters (Brian2 issue #1533).

Affected: Brian2 2.6.0 (where run_args appeared) on cpp_standalone: the binary lower-cased every run_args value,
          file names included, so the array for an object named 'Synapses' was never applied.
          The runtime devices have no run_args (skipped).
Fixed:    Brian2 2.7.0 (release notes: "Fix the run_args feature for object names with upper case letters").
Shows as: a result change between releases on cpp_standalone (`check --against` a baseline).
"""
import numpy as np
from brian2 import NeuronGroup, StateMonitor, Synapses, defaultclock, device, run

G = NeuronGroup(10, "", name="neurons")
S = Synapses(G, G, "w : 1", name="Synapses")
S.connect(j="i")
S.w = np.arange(10)
weights = StateMonitor(S, "w", record=range(10))
run(defaultclock.dt)
device.build(run=False)
device.run(run_args={S.w: 2.0 * np.arange(10)[::-1]})
