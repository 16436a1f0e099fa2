"""Reproducer: after `start_scope()`, a `run()` of only new objects starts at t = 0 on numpy and cython, as
`MagicNetwork.run` documents ("If the network consists of new objects since the last time run was called, the start
time will be reset to 0"); on cpp_standalone it continues from the end of the previous run, and the monitor's first
time stamp is 0 nevertheless. Found by the script-style matrix (tests/data/styles/start_scope_networks.py,
docs/script-styles.md): its second model's spike comes 10 ms late on cpp_standalone.

    python ci/brian2_start_scope_time_repro.py          exit 1 when cpp_standalone's times differ from numpy's

Measured 2026-12-06 on 2.5.4 and 2.10.1: numpy t = 0, 0.1, ... 9.9 ms, spike at 9.9 ms; cpp_standalone
t = 0, 10.1, 10.2, ... 19.9 ms, spike at 19.9 ms.
"""
import subprocess
import sys
import tempfile

MODEL = """
import sys
from brian2 import *
if sys.argv[1] == 'cpp_standalone':
    set_device('cpp_standalone', directory=sys.argv[2], build_on_run=False)
else:
    prefs.codegen.target = sys.argv[1]
A = NeuronGroup(1, 'dv/dt = -v / (10*ms) : 1', method='exact')
run(10*ms)
start_scope()
B = NeuronGroup(1, 'dv/dt = (1.1 - v) / (5*ms) : 1', threshold='v > 1', reset='v = 0', method='exact')
B.v = 0.375
spikes = SpikeMonitor(B)
trace = StateMonitor(B, 'v', record=0)
run(10*ms)
if sys.argv[1] == 'cpp_standalone':
    device.build(directory=sys.argv[2])
print(repr(([float(x) for x in trace.t_[:3]], float(trace.t_[-1]), [float(x) for x in spikes.t_[:]])))
"""


def times(target: str, folder: str):
    out = subprocess.run([sys.executable, "-c", MODEL, target, folder], capture_output=True, text=True, check=True)
    return eval(out.stdout.strip().splitlines()[-1])     # noqa: S307  (our own printed tuple)


if __name__ == "__main__":
    import brian2
    with tempfile.TemporaryDirectory() as folder:
        got = {target: times(target, folder) for target in ("numpy", "cpp_standalone")}
    for target, (first, last, spikes) in got.items():
        print(f"brian2 {brian2.__version__} {target:15} trace.t {[round(x * 1e3, 3) for x in first]} ... "
              f"{last * 1e3:.3g} ms, spikes at {[round(x * 1e3, 3) for x in spikes]} ms")
    same = got["numpy"] == got["cpp_standalone"]
    print("same times" if same else "DIFFERENT: cpp_standalone does not restart the time at 0 after start_scope()")
    sys.exit(0 if same else 1)
