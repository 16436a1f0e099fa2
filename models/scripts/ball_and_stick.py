"""A ball-and-stick neuron (soma + 100-compartment axon, Hodgkin-Huxley channels) driven to spike by a step current
at the soma.

Brian2's cable solver amplifies rounding about a million-fold at a soma (ci/brian2_cable_soma_repro.py), and the
spikes amplify it further, so numpy, cython and cpp_standalone differ by more than float64 rounding of the state
would explain, although none of them is wrong. `check`'s noise floor measures that amplification on the reference
and must let this model agree; the negative controls change the axial resistance on one device and `check` must
flag them (tests/test_check_floor_brian.py).
"""
from brian2 import Cylinder, Soma, SpatialNeuron, StateMonitor, cm, defaultclock, mS, ms, mV, nA, ohm, run, uF, um

Ri = 100 * ohm * cm
defaultclock.dt = 25e-3 * ms
gL, gNa, gK = 0.3 * mS / cm**2, 120 * mS / cm**2, 36 * mS / cm**2      # Hodgkin & Huxley (1952), rest at -65 mV
EL, ENa, EK = -54.4 * mV, 50 * mV, -77 * mV

eqs = """
Im = gL*(EL - v) + gNa*m**3*h*(ENa - v) + gK*n**4*(EK - v) : amp/meter**2
I : amp (point current)
dm/dt = alpham*(1 - m) - betam*m : 1
dh/dt = alphah*(1 - h) - betah*h : 1
dn/dt = alphan*(1 - n) - betan*n : 1
alpham = 0.1/mV*(v + 40*mV)/(1 - exp(-(v + 40*mV)/(10*mV)))/ms : Hz
betam = 4*exp(-(v + 65*mV)/(18*mV))/ms : Hz
alphah = 0.07*exp(-(v + 65*mV)/(20*mV))/ms : Hz
betah = 1/(1 + exp(-(v + 35*mV)/(10*mV)))/ms : Hz
alphan = 0.01/mV*(v + 55*mV)/(1 - exp(-(v + 55*mV)/(10*mV)))/ms : Hz
betan = 0.125*exp(-(v + 65*mV)/(80*mV))/ms : Hz
"""
morpho = Soma(30 * um)
morpho.axon = Cylinder(diameter=1 * um, length=300 * um, n=100)
neuron = SpatialNeuron(morpho, eqs, Cm=1 * uF / cm**2, Ri=Ri, method="exponential_euler")
neuron.v = -65 * mV
neuron.m, neuron.h, neuron.n = 0.053, 0.596, 0.318
soma = StateMonitor(neuron, "v", record=[0, 50, 100])
run(5 * ms)
neuron.I[0] = 0.3 * nA
run(145 * ms)
