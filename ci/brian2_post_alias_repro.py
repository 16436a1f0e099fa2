"""Reproducer: in synaptic code, a postsynaptic variable written without suffix (`x += 1`) and then read with the
suffix (`w = x_post`) names one variable twice. numpy executes the statements in order (the read sees the write);
cython and cpp_standalone load `x` and `x_post` into two local copies before the first statement, so the read sees
the value from before the write. Found by the examples table: Clopath_et_al_2010_no_homeostasis.py increments
`v_lowpass2` (no suffix) in on_post and computes LTP from `v_lowpass2_post` on the next line; at 1 Hz the final
pre->post weight is 115.5 % on numpy and 100.1 % on cython.

    python ci/brian2_post_alias_repro.py [numpy,cython,cpp_standalone]    exit 1 when a target disagrees with the
                                                                          statements executed in order, 2 when
                                                                          a target did not run

Two independent computations say which target is right: (1) the three statements executed by hand (x = 0; x += 1;
w = x gives w = 1), (2) a Brian-free loop of the Clopath example at 1 Hz (forward Euler, Brian's schedule: groups,
thresholds, on_pre, on_post, resets) that reproduces numpy's weights bit for bit when the read follows the write
(115.5 %) and cython's when it sees the old value (100.1 %).
"""
import subprocess
import sys
import tempfile

MODEL = "x += 1\nw = x_post"        # on_post of a synapse from the neuron onto itself


def brian_values(target: str) -> tuple[float, float]:
    """(w, x) after one postsynaptic spike, run with Brian on `target`."""
    from brian2 import NeuronGroup, Synapses, ms, prefs, run, set_device
    if target == "cpp_standalone":
        set_device("cpp_standalone", directory=tempfile.mkdtemp(prefix="b2-alias-"))
    else:
        prefs.codegen.target = target
    G = NeuronGroup(1, "x : 1", threshold="timestep(t, dt) == 2")
    S = Synapses(G, G, "w : 1", on_post=MODEL)
    S.connect(i=0, j=0)
    run(0.5 * ms)
    return float(S.w[0]), float(G.x[0])


def by_hand() -> tuple[float, float]:
    """The same statements executed in order, without Brian."""
    x = 0.0
    x += 1
    w = x
    return w, x


def clopath_1hz(sequential: bool, reps: int = 15) -> tuple[float, float]:
    """Brian-free loop of Clopath_et_al_2010_no_homeostasis.py at 1 Hz: final weights (pre->post, post->pre) in %."""
    mV, dt = 1e-3, 1e-4
    V_rest, V_thresh, taux = -70 * mV, -50 * mV, 15e-3
    A_LTD, A_LTP, tau1, tau2 = 1.5e-4, 1.5e-2, 40e-3, 30e-3
    gleak, C, tau_ampa, E, gmax, w_max = 30e-9, 300e-12, 2e-3, 0.0, 5e-10, 1.0
    v, lp1, lp2, g, x = [V_rest] * 2, [V_rest] * 2, [V_rest] * 2, [0.0] * 2, [0.0] * 2
    w = {(0, 1): 0.5, (1, 0): 0.5}                                   # (pre, post) -> weight

    def step():
        for k in range(2):                                           # groups: forward Euler from the old values
            dv = (gleak * (V_rest - v[k]) + g[k] * (E - v[k])) / C
            v[k], lp1[k], lp2[k], g[k], x[k] = (v[k] + dt * dv, lp1[k] + dt * (v[k] - lp1[k]) / tau1,
                                                lp2[k] + dt * (v[k] - lp2[k]) / tau2, g[k] - dt * g[k] / tau_ampa,
                                                x[k] - dt * x[k] / taux)
        spikes = [k for k in range(2) if v[k] > V_thresh]            # thresholds
        for pre, post in w:                                          # on_pre (order -1)
            if pre in spikes:
                g[post] += w[pre, post] * gmax
                d = lp1[post] / mV - V_rest / mV
                w[pre, post] = min(max(w[pre, post] - A_LTD * d * (d > 0), 0.0), w_max)
        for pre, post in w:                                          # on_post (order +1)
            if post in spikes:
                before = lp2[post]
                lp1[post] += 10 * mV
                lp2[post] += 10 * mV
                d = (lp2[post] if sequential else before) / mV - V_rest / mV
                w[pre, post] = min(max(w[pre, post] + A_LTP * x[pre] * d * (d > 0), 0.0), w_max)
        for k in spikes:                                             # resets
            v[k] = V_rest
            x[k] += 1.0 / (taux / 1e-3)

    for _ in range(reps):
        v[0] = V_thresh + 1 * mV
        for _ in range(100):                                         # run(10*ms)
            step()
        v[1] = V_thresh + 1 * mV
        for _ in range(9900):                                        # run(1/rate - 10*ms)
            step()
    return 100 * w[0, 1] / 0.5, 100 * w[1, 0] / 0.5


def main(targets: list[str]) -> int:
    from brian2 import __version__
    expected = by_hand()
    print(f"brian2 {__version__}; on_post: {MODEL!r}; statements in order give w = {expected[0]}, x = {expected[1]}")
    wrong, missing = [], []
    for target in targets:
        out = subprocess.run([sys.executable, __file__, "--one", target], capture_output=True, text=True)
        if out.returncode != 0:
            print(f"  {target:15s} did not run: {out.stderr.strip().splitlines()[-3:]}")
            missing.append(target)
            continue
        w, x = map(float, out.stdout.split())
        ok = (w, x) == expected
        wrong += [] if ok else [target]
        print(f"  {target:15s} w = {w}, x = {x} -> {'in order' if ok else 'WRONG: the read missed the write'}")
    seq, stale = clopath_1hz(True), clopath_1hz(False)
    print(f"Clopath 2010 (no homeostasis), 1 Hz, 15 pairings, Brian-free loop: pre->post {seq[0]:.1f} % when the read "
          f"follows the write (numpy), {stale[0]:.1f} % when it sees the old value (cython, cpp_standalone); "
          f"post->pre {seq[1]:.1f} % either way")
    return 1 if wrong else 2 if missing else 0


if __name__ == "__main__":
    if sys.argv[1:2] == ["--one"]:
        print(*brian_values(sys.argv[2]))
        sys.exit(0)
    sys.exit(main(sys.argv[1].split(",") if len(sys.argv) > 1 else ["numpy", "cython", "cpp_standalone"]))
