"""`brian2-harness bench`: what batching and the build cache buy, measured in one invocation.

Naive = one fresh standalone build per case (what a per-example property test would pay), timed on a
sample of cases; batched = all N cases in one network, cold (empty cache) and warm (same cache again).
Ratios come from the same run on the same machine, so machine load affects both sides alike.

"OpenMP under load": the same batch on cpp_standalone_omp (warm build) without and with busy processes
(one more runnable thread than cores), with OMP_WAIT_POLICY=passive (the harness's default) and, with
--openmp-active, with active (spinning) waiting; the binary's own run time (Brian's timer) is compared.

"worker processes": a small CPU matrix on a warm build cache with one worker process per job and with the
long-lived workers of run/pool.py, one after the other in the same invocation.
"""
from __future__ import annotations

import contextlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from brian2_harness.atomic import write_output
from brian2_harness.cells.verdict import PASS
from brian2_harness.check.bench import stat_line, stat_mode
from brian2_harness.commalist import comma_ints
from brian2_harness.devices import CPU_DEVICES, get_device, openmp_device, pch
from brian2_harness.devices.openmp import WAIT_POLICY_VAR, cores
from brian2_harness.errors import UsageError
from brian2_harness.registry import all_variants, get
from brian2_harness.run import RunConfig, execute
from brian2_harness.run.pool import POOL
from brian2_harness.tools.bench_cases import SCHEDULE, all_to_all_cases
from brian2_harness.tools.cuda_bench import cuda_batches, cuda_line
from brian2_harness.variant_sources import load_all


def _timed(cases, variant, device, cache_dir, use_cache, progress_label, log, compiled_dir=None):
    cfg = RunConfig(variants=[variant], devices=[device], dtypes=["float64"], cases=cases, jobs=1,
                    cache_dir=Path(cache_dir), compiled_dir=Path(compiled_dir or cache_dir), use_cache=use_cache)
    t0 = time.perf_counter()
    result = execute(cfg)
    seconds = time.perf_counter() - t0
    bad = [v for v in result.verdicts if v.verdict != PASS]
    if bad:
        raise RuntimeError(f"{progress_label}: {len(bad)} cell(s) did not pass: {bad[0].verdict} {bad[0].reason}")
    compiles = result.cache_summary()["compiles"]
    log(f"  {progress_label}: {len(cases)} cases in {seconds:.1f} s, {compiles} compile(s)")
    return seconds, compiles


@contextlib.contextmanager
def busy_load(n: int):
    """`n` plain Python busy loops in subprocesses for the duration of the block (killed by pid afterwards)."""
    procs = [subprocess.Popen([sys.executable, "-c", "while True: pass"], stdin=subprocess.DEVNULL,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) for _ in range(n)]
    try:
        time.sleep(0.2)             # let them start spinning
        yield [p.pid for p in procs]
    finally:
        for p in procs:
            p.kill()
            p.wait()


@contextlib.contextmanager
def env_var(name: str, value: str | None):
    """Set (or, with None, unset) an environment variable for the block; worker processes inherit it."""
    old = os.environ.get(name)
    if value is None:
        os.environ.pop(name, None)
    else:
        os.environ[name] = value
    try:
        yield
    finally:
        if old is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = old


def busy_needed(threads: int) -> int:
    """Busy processes that make the runnable threads exceed the cores by one."""
    return max(1, cores() - threads + 1)


def timed_job(cases, variant, device, cache_dir, label, log) -> dict:
    """One run of one job (build cache on): worker seconds, binary seconds, the job's workarounds."""
    cfg = RunConfig(variants=[variant], devices=[device], dtypes=["float64"], cases=cases, jobs=1,
                    cache_dir=Path(cache_dir), compiled_dir=Path(cache_dir), use_cache=True, isolate_failures=0)
    result = execute(cfg)
    bad = [v for v in result.verdicts if v.verdict != PASS]
    if bad:
        raise RuntimeError(f"{label}: {len(bad)} cell(s) did not pass: {bad[0].verdict} {bad[0].reason}")
    job = result.jobs[0]
    out = {"worker_seconds": job.seconds, "binary_seconds": job.timing.get("exec_s"),
           "workarounds": list(job.workarounds), "compiled": bool(job.cache.get("compiled"))}
    b = out["binary_seconds"]
    log(f"  {label}: worker {job.seconds:.1f} s, binary {b:.2f} s" if b is not None else
        f"  {label}: worker {job.seconds:.1f} s")
    return out


def openmp_under_load(cases, variant, cache_dir, device=None, active=False, busy=None, log=print) -> dict:
    """Binary run time of one warm OpenMP job (default device: devices.openmp_device()) alone and next to busy
    processes, in one invocation."""
    device = device or openmp_device()
    threads = int(getattr(get_device(device), "threads", 0) or 0)
    busy = busy_needed(threads) if busy is None else busy
    log(f"OpenMP under load: {device} ({threads} threads), {len(cases)} cases, {busy} busy process(es) "
        f"on {cores()} cores")
    with env_var(WAIT_POLICY_VAR, "passive"):
        timed_job(cases, variant, device, cache_dir, "build (warm-up)", log)
        unloaded = timed_job(cases, variant, device, cache_dir, "passive, unloaded", log)
        with busy_load(busy):
            loaded = timed_job(cases, variant, device, cache_dir, "passive, loaded", log)
    out = {"device": device, "threads": threads, "cores": cores(), "busy_processes": busy, "cases": len(cases),
           "passive_unloaded": unloaded, "passive_loaded": loaded, "ratio": _ratio(loaded, unloaded)}
    if active:
        with env_var(WAIT_POLICY_VAR, "active"):
            a_unloaded = timed_job(cases, variant, device, cache_dir, "active, unloaded", log)
            with busy_load(busy):
                a_loaded = timed_job(cases, variant, device, cache_dir, "active, loaded", log)
        out.update(active_unloaded=a_unloaded, active_loaded=a_loaded, active_ratio=_ratio(a_loaded, a_unloaded))
    return out


def _ratio(loaded: dict, unloaded: dict) -> float | None:
    """loaded / unloaded, on the binary's run time (worker seconds where Brian gave no timer)."""
    key = "binary_seconds" if loaded.get("binary_seconds") and unloaded.get("binary_seconds") else "worker_seconds"
    return loaded[key] / unloaded[key] if unloaded.get(key) else None


def openmp_line(o: dict) -> str:
    def secs(r):
        if r.get("binary_seconds") is not None:
            return f"{r['binary_seconds']:.2f} s"
        return f"{r['worker_seconds']:.1f} s (worker)"
    line = (f"OpenMP under load ({o['device']}, {o['threads']} threads, {o['cases']} cases, {o['busy_processes']} busy "
            f"process(es) on {o['cores']} cores): passive {secs(o['passive_unloaded'])} unloaded -> "
            f"{secs(o['passive_loaded'])} loaded = {o['ratio']:.1f}x")
    if "active_ratio" in o:
        line += (f"; active {secs(o['active_unloaded'])} -> {secs(o['active_loaded'])} = {o['active_ratio']:.1f}x; "
                 f"loaded, active / passive = {_ratio(o['active_loaded'], o['passive_loaded']):.1f}x")
    return line


def worker_reuse(cases, cache_dir, log=print) -> dict:
    """The daily loop's cost with one worker process per job vs long-lived workers (run/pool.py), in one
    invocation on the same warm build cache: a small matrix on every CPU device that can run here."""
    devices = [d for d in CPU_DEVICES if get_device(d).probe().mode == "run"]
    variants = [v.name for v in all_variants()
                if v.name in ("netop_reference", "summed_seed", "summed_aligned", "summed_every_step")]

    def once(reuse: bool, label: str) -> dict:
        cfg = RunConfig(variants=variants, devices=devices, dtypes=["float64", "float32"], cases=cases,
                        cache_dir=Path(cache_dir), compiled_dir=Path(cache_dir), use_cache=True, isolate_failures=0,
                        reuse_workers=reuse)
        started = POOL.started
        t0 = time.perf_counter()
        result = execute(cfg)
        seconds = time.perf_counter() - t0
        bad = [v for v in result.verdicts if v.verdict not in (PASS, "skip")]
        if bad:
            raise RuntimeError(f"{label}: {len(bad)} cell(s) did not pass: {bad[0].verdict} {bad[0].reason}")
        out = {"seconds": seconds, "jobs": len(result.jobs), "cells": len(result.verdicts),
               "processes_started": POOL.started - started}
        log(f"  {label}: {seconds:.1f} s, {out['jobs']} jobs, {out['processes_started']} worker process(es) started")
        return out
    log(f"worker processes: {len(variants)} variants x {', '.join(devices)} x 2 dtypes, {len(cases)} cases, warm cache")
    once(True, "warm-up (fills the build cache)")
    fresh = once(False, "one process per job")
    reused = once(True, "long-lived workers")
    return {"devices": devices, "variants": variants, "cases": len(cases), "fresh": fresh, "reused": reused,
            "ratio": fresh["seconds"] / reused["seconds"]}


def worker_line(w: dict) -> str:
    return (f"worker processes ({w['fresh']['jobs']} jobs, {w['fresh']['cells']} cells, warm build cache): one process "
            f"per job {w['fresh']['seconds']:.1f} s ({w['fresh']['processes_started']} started) vs long-lived workers "
            f"{w['reused']['seconds']:.1f} s ({w['reused']['processes_started']} started) = {w['ratio']:.1f}x")


def _machine_ready(folder: str, device: str) -> float | None:
    """Build the precompiled header a device's builds use into `folder`; seconds (None: the device uses none)."""
    threads = getattr(get_device(device), "threads", None)
    if threads is None or not get_device(device).standalone:
        return None
    pch.brian_flags(threads)           # imports Brian and probes the compiler flags: not part of the header's cost
    t0 = time.perf_counter()
    return time.perf_counter() - t0 if pch.header(folder, threads) else None


def benchmark(counts, sizes, naive_sample, variant, device, seed, log=print, openmp=True,
              openmp_active=False) -> dict:
    from brian2_harness.families.growth.generate import generate_cases  # here: keeps Hypothesis out of --help

    with tempfile.TemporaryDirectory(prefix="b2h-bench-") as tmp:
        # Cold means an empty build cache. What a machine builds once for every project (the precompiled standard
        # headers, devices/pch.py) is built before the timing; "cold, new machine" measures a batch with it as well.
        machine = f"{tmp}/machine"
        header_s = _machine_ready(machine, device)
        log(f"naive: one fresh {device} build per case, {naive_sample} sampled case(s)")
        sample = generate_cases(naive_sample, seed, schedule=SCHEDULE)
        per_case = [_timed([c], variant, device, f"{tmp}/naive{k}", False, f"case {k}", log, machine)[0]
                    for k, c in enumerate(sample)]
        naive_s = statistics.mean(per_case)

        n_max = max(counts)
        log(f"batched: {n_max} cases in one network, cold then warm cache")
        cases = generate_cases(n_max, seed, schedule=SCHEDULE)
        cold_s, cold_compiles = _timed(cases, variant, device, f"{tmp}/batched", True, "cold", log, machine)
        warm_s, warm_compiles = _timed(cases, variant, device, f"{tmp}/batched", True, "warm", log, machine)
        new_machine_s, _ = _timed(cases, variant, device, f"{tmp}/new-machine", True, "cold, new machine", log)

        log("scaling with case count (cold cache each)")
        by_count = []
        for n in counts:
            s, c = _timed(cases[:n], variant, device, f"{tmp}/count{n}", True, f"N={n}", log, machine)
            by_count.append({"cases": n, "seconds": s, "compiles": c, "cases_per_min": 60 * n / s})
        log("scaling with network size (100 all-to-all cases, cold cache each)")
        by_size = []
        for size in sizes:
            s, c = _timed(all_to_all_cases(100, size), variant, device, f"{tmp}/size{size}", True,
                          f"{size * size} synapses/case", log, machine)
            by_size.append({"synapses_per_case": size * size, "cases": 100, "seconds": s, "compiles": c,
                            "cases_per_min": 6000 / s})
        reuse = worker_reuse(generate_cases(20, seed + 1, schedule=SCHEDULE), f"{tmp}/workers", log=log)
        omp = None
        if openmp:
            probe = get_device(openmp_device()).probe()
            if probe.mode == "run":
                omp = openmp_under_load(cases, variant, f"{tmp}/openmp", active=openmp_active, log=log)
            else:
                log(f"OpenMP under load: skipped, {openmp_device()} cannot run here: {probe.reason}")
    naive_cpm = 60 / naive_s
    batched_cpm = 60 * n_max / cold_s
    return {
        "device": device, "variant": variant, "schedule": list(SCHEDULE),
        "naive_seconds_per_case": naive_s, "naive_samples": per_case,
        "naive_cases_per_min": naive_cpm,
        "batched_cases": n_max, "batched_cold_seconds": cold_s, "batched_warm_seconds": warm_s,
        "batched_cold_new_machine_seconds": new_machine_s, "precompiled_header_seconds": header_s,
        "batched_cases_per_min": batched_cpm, "batched_warm_cases_per_min": 60 * n_max / warm_s,
        "ratio": batched_cpm / naive_cpm, "warm_ratio": (60 * n_max / warm_s) / naive_cpm,
        "cold_compiles": cold_compiles, "warm_compiles": warm_compiles,
        "cases_per_compile": n_max / max(cold_compiles, 1),
        "by_case_count": by_count, "by_network_size": by_size,
        "openmp_under_load": omp, "worker_reuse": reuse,
    }


def print_summary(r: dict) -> None:
    from rich.console import Console
    from rich.table import Table
    c = Console()
    t = Table(title=f"batched vs naive on {r['device']} ({r['variant']}, one run)")
    for col in ("path", "cases", "seconds", "cases/min", "compiles", "vs naive"):
        t.add_column(col, justify="right")
    t.add_row("naive (per case)", "1", f"{r['naive_seconds_per_case']:.2f}", f"{r['naive_cases_per_min']:.1f}",
              "1", "1x")
    t.add_row("batched, cold", str(r["batched_cases"]), f"{r['batched_cold_seconds']:.2f}",
              f"{r['batched_cases_per_min']:.0f}", str(r["cold_compiles"]), f"{r['ratio']:.0f}x")
    t.add_row("batched, warm", str(r["batched_cases"]), f"{r['batched_warm_seconds']:.2f}",
              f"{r['batched_warm_cases_per_min']:.0f}", str(r["warm_compiles"]), f"{r['warm_ratio']:.0f}x")
    new = r["batched_cold_new_machine_seconds"]
    t.add_row("batched, cold, new machine", str(r["batched_cases"]), f"{new:.2f}",
              f"{60 * r['batched_cases'] / new:.0f}", str(r["cold_compiles"]),
              f"{60 * r['batched_cases'] / new / r['naive_cases_per_min']:.0f}x")
    c.print(t)
    if r.get("precompiled_header_seconds") is not None:
        c.print(f"cold = empty build cache, the machine's precompiled standard headers present (built once before "
                f"the timing: {r['precompiled_header_seconds']:.2f} s); new machine = built within the batch")
    t = Table(title="cost vs case count / network size (cold cache)")
    for col in ("cases", "synapses/case", "seconds", "cases/min", "compiles"):
        t.add_column(col, justify="right")
    for row in r["by_case_count"]:
        t.add_row(str(row["cases"]), "mixed", f"{row['seconds']:.2f}", f"{row['cases_per_min']:.0f}",
                  str(row["compiles"]))
    for row in r["by_network_size"]:
        t.add_row(str(row["cases"]), str(row["synapses_per_case"]), f"{row['seconds']:.2f}",
                  f"{row['cases_per_min']:.0f}", str(row["compiles"]))
    c.print(t)
    c.print(f"ratio batched/naive: {r['ratio']:.0f}x cold, {r['warm_ratio']:.0f}x warm; "
            f"warm rerun compiles: {r['warm_compiles']}")
    from rich.markup import escape
    c.print(escape(worker_line(r["worker_reuse"])), soft_wrap=True)
    if r.get("openmp_under_load"):
        c.print(escape(openmp_line(r["openmp_under_load"])), soft_wrap=True)


def cmd_bench(args) -> int:
    """The `bench` command (its options: cli/tools.py)."""
    counts = comma_ints(args.cases, "--cases")
    sizes = comma_ints(args.sizes, "--sizes")
    if args.naive_sample < 1:
        raise UsageError(f"--naive-sample must be >= 1, got {args.naive_sample}")
    load_all()
    get(args.variant)
    probe = get_device(args.device).probe()
    if get_device(args.device).gpu and probe.mode in ("run", "build"):
        import tempfile

        with tempfile.TemporaryDirectory(prefix="b2h-bench-cuda-") as tmp:
            result = cuda_batches(args.cuda_cases, args.cuda_size, args.variant, tmp, probe.mode, device=args.device)
        print(cuda_line(result))
        if args.json_out:
            write_output(args.json_out, json.dumps(result, indent=1), "--json")
        return 0 if not result["errors"] else 1
    if probe.mode != "run":
        raise UsageError(f"--device {args.device} cannot run here: {probe.reason}")
    result = benchmark(counts, sizes, args.naive_sample, args.variant, args.device, args.seed,
                       openmp=not args.no_openmp, openmp_active=args.openmp_active)
    print_summary(result)
    if not args.no_stat_mode:
        result["stat_mode"] = stat_mode(device=args.device)
        print(stat_line(result["stat_mode"]))
    if args.json_out:
        write_output(args.json_out, json.dumps(result, indent=1), "--json")
    return 0
