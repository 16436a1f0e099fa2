"""Probe: is `_clock` on a summed updater still honoured by Brian? Prints one line `PROBE {json}`."""
from brian2_harness.devices import REFERENCE_DEVICE, get_device


def main() -> None:
    import json
    out = {"honoured": False}
    try:
        import brian2
        from brian2 import Clock, Network, NeuronGroup, Synapses, ms
        get_device(REFERENCE_DEVICE).activate(build_dir="", cache_dir="")    # a runtime device: no folders
        pre = NeuronGroup(1, "", name="probe_pre")
        post = NeuronGroup(1, "S : 1", name="probe_post")
        syn = Synapses(pre, post, "w : 1\nS_post = w : 1 (summed)", name="probe_syn")
        syn.connect(i=[0], j=[0])
        updater = syn.summed_updaters["S_post"]
        clock = Clock(dt=1 * ms, name="probe_clock")
        updater._clock = clock
        assigned = updater.clock is clock
        Network(pre, post, syn).run(2 * ms)
        advanced = abs(float(clock.t / ms) - 2.0) < 1e-9
        out = {"honoured": bool(assigned and advanced), "assigned": bool(assigned), "scheduled": bool(advanced),
               "brian2": brian2.__version__}
        if not assigned:
            out["detail"] = "setting _clock no longer changes the object's clock (updater.clock is not the new Clock)"
        elif not advanced:
            out["detail"] = "the network did not schedule the Clock set through _clock"
    except Exception as exc:
        out = {"honoured": False, "detail": f"{type(exc).__name__}: {exc}"[:500]}
    print("PROBE " + json.dumps(out))


if __name__ == "__main__":
    main()
