"""Minimal reproducer: brian2cuda 1.0b1 fails to compile a Synapses pathway when no object uses defaultclock.

    python ci/brian2cuda_defaultclock_repro.py [--defaultclock] [--dir BUILD_DIR]

brian2cuda's `templates/synapses.cu` refers to `defaultclock.timestep[0]` in the kernel launch of a pathway with
a scalar delay whose effects are applied per synapse or with atomics. When every object carries its own `dt=`
clock, the generated project declares no `defaultclock`, and nvcc stops with
"identifier "defaultclock" is undefined" in `code_objects/syn_pre_codeobject.cu`. With `--defaultclock` the same
network uses `defaultclock.dt` (no `dt=` arguments) and builds. Builds only (no GPU needed; nvcc, brian2cuda and a
compute capability are). On CUDA 13 the harness's toolchain workarounds (C++17, curand from the nvidia-curand
wheel, no GPU) are applied first, exactly as the cuda_standalone device does.
Exit code: 0 built, 1 compile error (the bug), 2 setup problem.
"""
import argparse
import sys
import tempfile


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--defaultclock", action="store_true", help="use defaultclock instead of dt= on every object")
    ap.add_argument("--dir", default=None)
    args = ap.parse_args()
    try:
        import brian2cuda  # noqa: F401
        from brian2 import NeuronGroup, SpikeGeneratorGroup, Synapses, defaultclock, device, ms, run, set_device

        from brian2_harness.devices.cuda_toolchain import apply_toolchain, detect
    except ImportError as exc:
        print(f"setup: {exc} (pip install 'brian2-harness[cuda]')", file=sys.stderr)
        return 2
    folder = args.dir or tempfile.mkdtemp(prefix="b2cuda-defaultclock-")
    tc = detect()
    print("toolchain workarounds:", apply_toolchain(tc, folder, build_only=not tc.gpus))
    set_device("cuda_standalone", directory=folder, build_on_run=False)
    kw = {} if args.defaultclock else {"dt": 0.1 * ms}
    if args.defaultclock:
        defaultclock.dt = 0.1 * ms
    pre = SpikeGeneratorGroup(1, [0], [1 * ms], name="pre", **kw)
    post = NeuronGroup(1, "v : 1", name="post", **kw)
    syn = Synapses(pre, post, "w : 1", on_pre="v_post += w", name="syn", **kw)   # scalar delay (none given)
    syn.connect(i=0, j=0)
    syn.w = 1.0
    run(2 * ms)
    try:
        device.build(directory=folder, compile=True, run=False)
    except Exception as exc:
        text = str(exc)
        print(f"BUILD FAILED ({'defaultclock' if args.defaultclock else 'dt= on every object'}): "
              f"{type(exc).__name__}: {text[-600:]}")
        return 1
    print(f"built in {folder} ({'defaultclock' if args.defaultclock else 'dt= on every object'})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
