"""What the worker adds to a growth model to record it: weights just before and after every event."""
from __future__ import annotations

import numpy as np


def record_weights(model, net):
    """Monitors around the normalization: slot `end`, order -100 (before) and +100 (after)."""
    from brian2 import StateMonitor, second

    record = bool(net.n_synapses)
    kw = dict(record=record, dt=net.period * second, when="end")
    before = StateMonitor(model.synapses, "w", order=-100, name="w_before", **kw)
    after = StateMonitor(model.synapses, "w", order=100, name="w_after", **kw)

    def extract() -> dict:
        shape = (net.n_events, net.n_synapses)
        out = {}
        for key, mon in (("w_before", before), ("w_after", after)):
            # copy: the monitor's buffer is freed with the network
            values = np.array(mon.w_[:], copy=True) if record else np.zeros((0, net.n_events))
            out[key] = (np.ascontiguousarray(values.T).reshape(shape) if values.size
                        else np.zeros(shape, dtype=net.dtype))
        return out

    return [before, after], extract
