"""Reproducer: Brian2's cable solver amplifies rounding about a million-fold at a soma, so numpy, cython and
cpp_standalone give different membrane potentials for one passive ball-and-stick neuron. Found by the examples
table: compartmental/spike_initiation.py (the same morphology with Na/K channels) differs by 2.6e-7 V between
cpp_standalone and numpy/cython after 146 ms, while numpy and cython differ by 3.8e-9 V.

    python ci/brian2_cable_soma_repro.py [numpy,cython,cpp_standalone] [--steps N]

Why: the solver splits the neuron into sections and joins them through a small linear system for the voltages at
the section ends (Hines-like domain decomposition, templates spatialstateupdate.*). A `Soma` is a one-compartment
section whose ends get an axial conductance of 1/Ri per metre (r_length = 1 m), 1.8e6 times the capacitive term
Cm*area/dt. Its row of the junction system is then (u_minus + u_plus - 1) * B ~ -v_star with
u_minus + u_plus - 1 = -5.7e-7: a cancellation that turns a rounding difference of 1e-16 in u_minus or u_plus into a
relative error of ~2e-10 in the soma voltage, every step. The coefficients are the same every step, so the error is
systematic and grows linearly with the number of steps; targets whose compilers or libraries round the same formulas
differently (numpy: the same Python algorithm on float64 arrays; cython and cpp_standalone: the same C algorithm, built
with -O3 -ffast-math -march=native in different code shapes) drift apart linearly.

Which target is right: none exactly. The same algorithm executed with 50 significant digits (Python's decimal,
independent of Brian and of the compiler) is the reference; the script prints each target's distance from it and
exits 1 when two targets differ by more than 1e-12 V (the amplified rounding is visible), 2 when a target did not run
(numpy needs scipy for SpatialNeuron), 0 otherwise.
"""
import subprocess
import sys
import tempfile
from decimal import Decimal, getcontext

getcontext().prec = 50
GL, EL, V0, CM, DT, RI = 1.0, -0.07, -0.065, 0.01, 2.5e-05, 1.0    # S/m^2, V, V, F/m^2, s, ohm*m (as Brian has them)


def neuron():
    from brian2 import Cylinder, Soma, SpatialNeuron, cm, mV, ohm, siemens, uF, um
    morpho = Soma(30 * um)
    morpho.axon = Cylinder(diameter=1 * um, length=300 * um, n=100)
    n = SpatialNeuron(morpho, "Im = gL*(EL - v) : amp/meter**2", Cm=1 * uF / cm**2, Ri=100 * ohm * cm,
                      method="exponential_euler", namespace=dict(gL=1e-4 * siemens / cm**2, EL=-70 * mV))
    n.v = -65 * mV
    return n


def brian_run(target: str, steps: int) -> list[float]:
    """v of every compartment after `steps` steps, run with Brian on `target`."""
    from brian2 import defaultclock, prefs, run, second, set_device
    if target == "cpp_standalone":
        set_device("cpp_standalone", directory=tempfile.mkdtemp(prefix="b2-cable-"))
    else:
        prefs.codegen.target = target
    defaultclock.dt = DT * second
    n = neuron()
    run(steps * DT * second)
    return [float(x) for x in n.v_]


def geometry() -> tuple[list[float], list[float], list[float]]:
    """area, r_length_1, r_length_2 of the compartments as Brian computes them (float64, used by every target)."""
    n = neuron()
    return [float(x) for x in n.area_], [float(x) for x in n.r_length_1_], [float(x) for x in n.r_length_2_]


def cable_steps(num, steps: int, geom) -> list:
    """Brian's spatialstateupdate algorithm for a soma (section 0, compartment 0) with one cylinder (section 1,
    compartments 1..N-1), passive membrane, in the arithmetic of `num` (float or Decimal)."""
    area, rl1, rl2 = ([num(x) for x in a] for a in geom)
    N = len(area)
    starts, ends, parent, children = [0, 1], [1, N], [0, 1], {0: [1], 1: [2], 2: []}
    Cm, dt, Ri, gtot, I0 = num(CM), num(DT), num(RI), num(GL), num(EL) * num(GL)
    invr = [num(0)] + [1 / (Ri * (1 / rl2[i - 1] + 1 / rl1[i])) for i in range(1, N)]
    for s in starts:
        invr[s] = num(0)
    ab0 = [num(0)] + [invr[i] / area[i - 1] for i in range(1, N)]
    ab2 = [invr[i] / area[i] for i in range(1, N)] + [num(0)]
    ab1 = [-(Cm / dt) - invr[i] / area[i] for i in range(N)]
    for i in range(1, N):
        ab1[i - 1] -= invr[i] / area[i - 1]
    b_plus, b_minus, invr0, invrn = [num(0)] * N, [num(0)] * N, [], []
    for first, end in zip(starts, ends):
        last = end - 1
        invr0.append(rl1[first] / Ri)
        invrn.append(rl2[last] / Ri)
        ab1[first] -= invr0[-1] / area[first]
        ab1[last] -= invrn[-1] / area[last]
        b_plus[last] = -(invrn[-1] / area[last])
        b_minus[first] = -(invr0[-1] / area[first])
    v = [num(V0)] * N
    for _ in range(steps):
        vs, up, um, c = [num(0)] * N, list(b_plus), list(b_minus), [num(0)] * N
        for first, end in zip(starts, ends):                         # three tridiagonal systems per section
            for j in range(first, end):
                vs[j] = -(Cm / dt * v[j]) - I0
                bi = ab1[j] - gtot
                if j < N - 1:
                    c[j] = ab0[j + 1]
                if j > 0:
                    ai = ab2[j - 1]
                    m = 1 / (bi - ai * c[j - 1])
                    c[j], vs[j], up[j], um[j] = c[j] * m, (vs[j] - ai * vs[j - 1]) * m, (up[j] - ai * up[j - 1]) * m, \
                        (um[j] - ai * um[j - 1]) * m
                else:
                    c[j], vs[j], up[j], um[j] = c[j] / bi, vs[j] / bi, up[j] / bi, um[j] / bi
            for j in range(end - 2, first - 1, -1):
                vs[j], up[j], um[j] = vs[j] - c[j] * vs[j + 1], up[j] - c[j] * up[j + 1], um[j] - c[j] * um[j + 1]
        P_diag, P_parent, P_child, B = [num(0)] * 3, [num(0)] * 2, [num(0)] * 3, [num(0)] * 3
        for i, (first, end) in enumerate(zip(starts, ends)):         # the junction system
            last = end - 1
            if i == 0:
                P_diag[0], P_child[0], B[0] = um[first] - 1, up[first], -vs[first]
            else:
                P_diag[parent[i]] += (1 - um[first]) * invr0[i]
                P_child[parent[i]] = -up[first] * invr0[i]
                B[parent[i]] += vs[first] * invr0[i]
            P_diag[i + 1], P_parent[i], B[i + 1] = (1 - up[last]) * invrn[i], -um[last] * invrn[i], vs[last] * invrn[i]
        for i in range(2, -1, -1):
            for j in children[i]:
                sub = P_child[i] / P_diag[j]
                P_diag[i] -= sub * P_parent[j - 1]
                B[i] -= sub * B[j]
        B[0] = B[0] / P_diag[0]
        for i in range(1, 3):
            B[i] = (B[i] - P_parent[i - 1] * B[parent[i - 1]]) / P_diag[i]
        v = [vs[j] + B[parent[i]] * um[j] + B[i + 1] * up[j] for i, (f, e) in enumerate(zip(starts, ends))
             for j in range(f, e)]
    return v, um[0] + up[0] - 1


def main(targets: list[str], steps: int) -> int:
    from brian2 import __version__
    geom = geometry()
    exact, cancel = cable_steps(Decimal, steps, geom)
    f64, _ = cable_steps(float, steps, geom)
    print(f"brian2 {__version__}; passive soma (30 um) + axon (1 um x 300 um, 100 compartments), {steps} steps of "
          f"dt = 25 us; soma row of the junction system: u_minus + u_plus - 1 = {float(cancel):.3g}")
    print(f"  {'the algorithm in float64 (Python)':34s} max |v - v_50digits| = "
          f"{max(abs(Decimal(x) - y) for x, y in zip(f64, exact)):.3g} V")
    values, missing = {}, []
    for target in targets:
        out = subprocess.run([sys.executable, __file__, "--one", target, str(steps)], capture_output=True, text=True)
        if out.returncode != 0:
            print(f"  {target:34s} did not run: {out.stderr.strip().splitlines()[-3:]}")
            missing.append(target)
            continue
        values[target] = [float(x) for x in out.stdout.split()]
        err = max(abs(Decimal(x) - y) for x, y in zip(values[target], exact))
        print(f"  {target:34s} max |v - v_50digits| = {err:.3g} V")
    spread = max((max(abs(a - b) for a, b in zip(values[s], values[t])) for s in values for t in values), default=0.0)
    print(f"largest difference between targets: {spread:.3g} V "
          f"({'amplified rounding visible' if spread > 1e-12 else 'within plain rounding'})")
    return 1 if spread > 1e-12 else 2 if missing else 0


if __name__ == "__main__":
    args = sys.argv[1:]
    if args[:1] == ["--one"]:
        print(*brian_run(args[1], int(args[2])))
        sys.exit(0)
    steps = 40
    if "--steps" in args:
        k = args.index("--steps")
        steps = int(args[k + 1])
        del args[k:k + 2]
    sys.exit(main(args[0].split(",") if args else ["numpy", "cython", "cpp_standalone"], steps))
