"""`on_event` of Synapses ignored for named pathways (Brian2 issue #1541; a regression of 2.6.0).

Affected: Brian2 2.6.0 and 2.7.0: the event of a pathway was looked up under 'pre'/'post' instead of the pathway's
          name, so every named pathway listened to the default event ('spike'), on every device alike.
          Brian2 2.5.4 was not affected.
Fixed:    Brian2 2.7.1 (release notes: "Fix a bug in interpreting the on_event argument of Synapses for custom events
          and non-default pathways (a regression introduced with Brian 2.6)").
Shows as: a result change between releases (`check --against` a baseline); the devices agree with each other.
"""
from brian2 import NeuronGroup, StateMonitor, Synapses, defaultclock, run

# neuron 1 spikes (1 < v < 2), neuron 2 emits the custom event over_2 (v > 2), neuron 0 does neither
group = NeuronGroup(3, "v : 1", threshold="v > 1 and v < 2", events={"over_2": "v > 2"})
group.v = [0, 1.5, 2.5]
s = Synapses(group, group, model="""a : integer
                                    b : integer
                                    c : integer
                                    d : integer""",
             on_event={"path_a": "spike", "path_b": "over_2", "path_c": "spike", "path_d": "over_2"},
             on_pre={"path_a": "a += 1", "path_b": "b += 1"},
             on_post={"path_c": "c += 1", "path_d": "d += 1"})
s.connect()
counts = StateMonitor(s, ["a", "b", "c", "d"], record=range(9), when="end")   # 3 x 3 synapses
run(2 * defaultclock.dt)
