"""Clocks of `run_regularly(dt=...)` without unique names broke C++ standalone builds (Brian2 issue #1742).

Affected: Brian2 2.10.0 on cpp_standalone: two `run_regularly(..., dt=...)` operations in one standalone project
          (here: two networks, one after `start_scope()`) created two clocks with the same name; the project did not
          compile. numpy and cython were not affected.
Fixed:    Brian2 2.10.1 (release notes: "the names of clocks in run_regularly and run_at were not necessarily
          unique, leading to build failures in C++ standalone mode").
Shows as: an error of cpp_standalone (device disagreement: it cannot run what numpy runs).
"""
from brian2 import Network, NeuronGroup, StateMonitor, ms, run, start_scope

tau = 10 * ms
eqs = "dv/dt = (1 - v) / tau : 1"

first = NeuronGroup(1, eqs, method="exact")
first_v = StateMonitor(first, "v", record=True)
net = Network(first, first_v)
first.run_regularly("v = 2*v", dt=20 * ms)
net.run(100 * ms)

start_scope()
second = NeuronGroup(1, eqs, method="exact")
second_v = StateMonitor(second, "v", record=True)
second.run_regularly("v = 2*v", dt=20 * ms)
run(100 * ms)
