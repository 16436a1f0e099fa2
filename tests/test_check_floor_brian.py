"""The noise floor on Brian2's cable solver: a SpatialNeuron's precomputed solver coefficients are moved by one ulp
once per run, and the soma's voltage then moves by the amplified amount a device that rounds them differently shows
(ci/brian2_cable_soma_repro.py); moving the state alone at every step leaves it almost untouched, which made
compartmental/spike_initiation.py a false alarm. Numpy runtime in this process; a few seconds."""
import os

import numpy as np
import pytest

from brian2_harness.check import floor

pytestmark = pytest.mark.brian


def _cable():
    from brian2 import Cylinder, Soma, SpatialNeuron, cm, mV, ohm, siemens, uF, um
    morpho = Soma(30 * um)
    morpho.axon = Cylinder(diameter=1 * um, length=300 * um, n=100)
    n = SpatialNeuron(morpho, "Im = gL*(EL - v) : amp/meter**2", Cm=1 * uF / cm**2, Ri=100 * ohm * cm,
                      method="exponential_euler", namespace=dict(gL=1e-4 * siemens / cm**2, EL=-70 * mV))
    n.v = -65 * mV
    return n


def _soma_after(steps: int, nudger_kind: str | None) -> tuple[float, object]:
    from brian2 import Network, defaultclock, prefs, second, start_scope
    start_scope()
    prefs.codegen.target = "numpy"
    defaultclock.dt = 25e-6 * second
    n = _cable()
    net = Network(n)
    nudger = None
    if nudger_kind:
        nudger = floor.Nudger([n])
        if nudger_kind == "state only":
            nudger.precomputed = []
        net.add(nudger.operation())
    net.run(steps * 25e-6 * second)
    return float(n.v_[0]), nudger


def test_the_floor_moves_a_cable_solvers_precomputed_coefficients_once_per_run():
    pytest.importorskip("scipy")               # numpy's SpatialNeuron solver
    base, _ = _soma_after(400, None)
    state_only, _ = _soma_after(400, "state only")
    full, nudger = _soma_after(400, "full")
    names = nudger.names
    assert "spatialneuron.v" in names and any("_ab_star1 (once per run)" in x for x in names)
    assert not any(x.endswith("dt (once per run)") for x in names)
    # the state alone: the soma moves by rounding only (measured 2e-16 V); the coefficients: amplified (5e-9 V,
    # the size by which numpy and cpp_standalone differ after 400 steps: 3.9e-9 V)
    assert abs(state_only - base) < 1e-13
    assert abs(full - base) > 1e-10


def test_precomputed_arrays_move_at_the_first_step_of_each_run_only():
    from brian2 import Network, NeuronGroup, Synapses, ms, prefs, start_scope
    start_scope()
    prefs.codegen.target = "numpy"
    g = NeuronGroup(3, "dv/dt = -v / (10*ms) : 1", threshold="v > 1", reset="v = 0")
    s = Synapses(g, g, "w : 1", on_pre="v += w", delay=1 * ms)
    s.connect()
    nudger = floor.Nudger([g, s])
    assert not any("_source_dt" in x for x in nudger.names)      # a clock's dt is never moved
    fake = np.zeros(4)
    calls = []

    class Var:
        dtype = np.float64

        def get_value(self):
            return fake

        def set_value(self, v):
            calls.append(v.copy())
            fake[:] = v
    nudger.precomputed = [("x._coef", Var())]
    fake[:] = 1.0
    net = Network(g, s, nudger.operation())
    net.run(0.5 * ms)
    assert len(calls) == 1 and np.all(np.abs(calls[0] - 1.0) <= np.spacing(1.0))
    nudger.operation()                           # what the sandbox calls before every run()
    net.run(0.5 * ms)
    assert len(calls) == 2                       # a new run() moves them again, once


BALL_AND_STICK = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "models", "scripts",
                              "ball_and_stick.py")


def test_check_lets_amplified_cable_rounding_agree_and_still_fails_a_changed_axial_resistance(tmp_path, cache_dir):
    """End to end on numpy and cpp_standalone: the unmodified model differs by more than the exact tolerance and
    agrees within the floor (a state-only floor made this a false alarm); Ri + 1 % on cpp_standalone only fails."""
    pytest.importorskip("scipy")
    from brian2_harness.check.verdict import check
    r = check(BALL_AND_STICK, ["numpy", "cpp_standalone"], cache_dir=cache_dir)
    pair = r.pairs["cpp_standalone"]
    assert r.verdict == "agree", r.reason
    assert pair.mode == "exact+floor" and "within 10 x the noise floor" in pair.detail, pair.detail
    changed = tmp_path / "ball_and_stick_ri.py"
    source = open(BALL_AND_STICK).read()
    assert "Ri = 100 * ohm * cm" in source
    changed.write_text(source.replace("Ri = 100 * ohm * cm", "Ri = 101 * ohm * cm"))
    r = check(BALL_AND_STICK, ["numpy", "cpp_standalone"], cache_dir=cache_dir,
              script_for={"cpp_standalone": str(changed)})
    assert r.verdict == "fail" and "more than 10 x the noise floor" in r.reason, r.reason
