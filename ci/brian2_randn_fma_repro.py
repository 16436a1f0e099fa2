"""Reproducer: since brian2 2.8.0 (#1559, the C++ random number generator moved into objects.cpp), cpp_standalone's
`randn()` is not numpy's sequence for the same seed on a CPU with FMA. Brian compiles objects.cpp with its default
flags (`-march=native -ffast-math ...`); there the compiler fuses `r2 = x1*x1 + x2*x2` of the polar Box-Muller
method into one fused multiply-add, which rounds once instead of twice. Where `r2` changes by one ulp, so does the
draw, and `log(r2)` near r2 = 1 turns it into thousands of ulps for draws near 0. Before 2.8.0 the generator was
randomkit.c, which make compiled with no flags at all, so it matched numpy on every machine. Found by the examples
table (2.8.0.4 on an AMD EPYC machine with FMA: Ornstein-Uhlenbeck's draw #22 0.8644361988595055 vs numpy's ...057).

    python ci/brian2_randn_fma_repro.py [N]     exit 1 when Brian's default flags give draws other than numpy's

Draws N Gaussians (default 200,000) with `seed(7)` on numpy and on cpp_standalone twice: Brian's default flags, and
the same with `-ffp-contract=off` (no fusing). Each cpp_standalone run is its own process (one device per process).
"""
import json
import subprocess
import sys
import tempfile

SEED = 7


def draws(how: str, n: int, folder: str) -> list[float]:
    """`x = randn()` for n neurons on `how` (numpy, cpp, cpp-nofma), in this process."""
    from brian2 import NeuronGroup, prefs, seed, set_device
    if how != "numpy":
        set_device("cpp_standalone", directory=folder, build_on_run=False)
        if how == "cpp-nofma":
            prefs.codegen.cpp.extra_compile_args_gcc = list(prefs.codegen.cpp.extra_compile_args_gcc) + \
                ["-ffp-contract=off"]
    from brian2 import device, ms, run
    seed(SEED)
    group = NeuronGroup(n, "x : 1")
    group.x = "randn()"
    run(0.1 * ms)
    if how != "numpy":
        device.build(directory=folder, compile=True, run=True)
    return [float(v) for v in group.x[:]]


def ulps(a: float, b: float) -> float:
    import numpy as np
    return float(abs(a - b) / np.spacing(abs(b))) if a != b else 0.0


def main() -> int:
    if len(sys.argv) > 2 and sys.argv[1] == "--child":
        how, n, folder = sys.argv[2], int(sys.argv[3]), sys.argv[4]
        print(json.dumps(draws(how, n, folder)))
        return 0
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 200_000
    import brian2
    results = {}
    for how in ("numpy", "cpp", "cpp-nofma"):
        with tempfile.TemporaryDirectory() as folder:
            out = subprocess.run([sys.executable, __file__, "--child", how, str(n), folder],
                                 capture_output=True, text=True, check=True).stdout
        results[how] = json.loads(out.strip().splitlines()[-1])
    ref = results["numpy"]
    fma = "fma" in open("/proc/cpuinfo").read().split() if sys.platform.startswith("linux") else "unknown"
    print(f"brian2 {brian2.__version__}, seed({SEED}), {n} draws of randn(), CPU with FMA: {fma}")
    bad = False
    for how in ("cpp", "cpp-nofma"):
        got = results[how]
        differ = [i for i, (a, b) in enumerate(zip(got, ref)) if a != b]
        worst = max((ulps(got[i], ref[i]) for i in differ), default=0.0)
        first = f", first #{differ[0]}: {got[differ[0]]!r} vs numpy {ref[differ[0]]!r}" if differ else ""
        label = "Brian's default flags" if how == "cpp" else "with -ffp-contract=off"
        print(f"  cpp_standalone, {label}: {len(differ)} of {n} differ from numpy (largest {worst:.0f} ulp){first}")
        bad |= how == "cpp" and bool(differ)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
