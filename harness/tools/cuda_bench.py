"""`bench --device cuda_standalone`: GPU-sized batches. Without a GPU (build mode) it builds one project for
>= 10^5 cases and reports the build time, cases per build and a memory estimate; with a GPU it also runs the
same cases warm on cuda_standalone and cpp_standalone and reports cases per minute of both, in one run."""
from __future__ import annotations

import time
from pathlib import Path

from brian2_harness.cells.verdict import BUILT, PASS
from brian2_harness.devices import get_device, gpu_device
from brian2_harness.families.cases import estimated_bytes
from brian2_harness.run import RunConfig, execute
from brian2_harness.tools.bench_cases import all_to_all_cases

DEFAULT_CASES = 100_000
DEFAULT_SIZE = 2          # 2x2 all-to-all: 4 synapses per case (`bench --cuda-cases`, `--cuda-size`)


def _execute(cases, variant, device, cache_dir):
    cfg = RunConfig(variants=[variant], devices=[device], dtypes=["float64"], cases=cases, jobs=1,
                    cache_dir=Path(cache_dir), use_cache=True, isolate_failures=0)
    t0 = time.perf_counter()
    result = execute(cfg)
    return result, time.perf_counter() - t0


def memory_estimate_mb(cases) -> float:
    """Device memory the batch needs, from `estimated_bytes` (recorded weights, synapse and neuron state)."""
    return sum(estimated_bytes(c) for c in cases) / 2**20


def cuda_batches(n_cases: int, size: int, variant: str, cache_dir: str, mode: str, log=print,
                 device: str | None = None) -> dict:
    """GPU-sized batches on `device` (default: the GPU device), compared warm with its serial twin (devices/)."""
    device = device or gpu_device()
    twin = get_device(device).serial_twin
    cases = all_to_all_cases(n_cases, size)
    out = {"device": device, "mode": mode, "variant": variant, "cases": n_cases,
           "synapses": n_cases * size * size, "memory_estimate_mb": round(memory_estimate_mb(cases), 1)}
    log(f"{device}, {mode} mode: {n_cases} cases ({out['synapses']} synapses, estimated memory "
        f"{out['memory_estimate_mb']} MB) in one build")
    result, seconds = _execute(cases, variant, device, f"{cache_dir}/cuda")
    jobs = [j for j in result.jobs if j.device == device]
    ok = [v for v in result.verdicts if v.verdict in ((BUILT,) if mode == "build" else (PASS,))]
    out.update(builds=len(jobs), cases_per_build=n_cases / max(len(jobs), 1), seconds=seconds,
               build_seconds=sum(j.timing.get("compile_s", 0.0) for j in jobs),
               compile_cpu_seconds=sum(j.timing.get("compile_cpu_s", 0.0) for j in jobs),
               cells_ok=len(ok), errors=[j.error for j in jobs if j.error])
    if mode == "run":                                  # warm: the same cases again, then its serial twin
        _, warm = _execute(cases, variant, device, f"{cache_dir}/cuda")
        _execute(cases, variant, twin, f"{cache_dir}/cpp")
        _, cpp_warm = _execute(cases, variant, twin, f"{cache_dir}/cpp")
        out.update(cuda_cases_per_min=60 * n_cases / warm, cpp_cases_per_min=60 * n_cases / cpp_warm,
                   cuda_vs_cpp=cpp_warm / warm)
    return out


def cuda_line(r: dict) -> str:
    device = r.get("device") or gpu_device()
    line = (f"{device} ({r['mode']} mode): {r['cases']} cases, {r['synapses']} synapses in {r['builds']} "
            f"build(s) = {r['cases_per_build']:.0f} cases per build; build {r['build_seconds']:.0f} s "
            f"({r['compile_cpu_seconds']:.0f} s CPU); estimated memory {r['memory_estimate_mb']} MB; "
            f"{r['cells_ok']} cells {'built' if r['mode'] == 'build' else 'passed'}")
    if r.get("cuda_cases_per_min"):
        line += (f"; warm: {r['cuda_cases_per_min']:.0f} cases/min on {device} vs "
                 f"{r['cpp_cases_per_min']:.0f} on {get_device(device).serial_twin} ({r['cuda_vs_cpp']:.1f}x)")
    if r["errors"]:
        line += f"; errors: {r['errors'][0][:200]}"
    return line
