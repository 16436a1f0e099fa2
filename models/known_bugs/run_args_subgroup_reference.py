"""`device.run(run_args=...)` raised ReferenceError after a subgroup had been used (Brian2 issue #1673, PR #1676).

Affected: Brian2 2.6.0 ... 2.9.0 on cpp_standalone: setting values through a temporary subgroup (`G[:5].v = 1`)
          left a cache entry owned by that subgroup; `device.run(run_args=...)` then looked at the dead owner and
          raised `ReferenceError: weakly-referenced object no longer exists`. The runtime devices have no run_args
          (skipped).
Fixed:    Brian2 2.10.0 (release notes: "The run_args feature could lead to a ReferenceError in some situations").
Shows as: an error of cpp_standalone.
"""
import numpy as np
from brian2 import NeuronGroup, StateMonitor, defaultclock, device, run

G = NeuronGroup(10, "v : 1")
G[:5].v = 1
values = StateMonitor(G, "v", record=True)
run(defaultclock.dt)
device.build(run=False)
device.run(run_args={G.v: np.arange(10.0)})
