"""`run --profile`: where a run's time went, per device (worker side) and in the parent (generation, judging).

Worker columns come from each job's `timing` (measured inside the worker): `setup` = case packing, Brian
objects and, in a fresh process, the Brian import; `brian run` = code generation + compilation + simulation
(Brian's `network.run`), of which `compile` (make) and `binary` (the standalone executable) where Brian timed
them; `start+io` = what the parent waited for beyond that (process start-up, waiting for the job's reply,
writing and reading the observables).
"""
from __future__ import annotations


def device_rows(jobs: list[dict]) -> list[dict]:
    """One row per device from the results JSON's job records (pure: no Brian)."""
    rows: dict[str, dict] = {}
    for j in jobs:
        t = j.get("timing") or {}
        r = rows.setdefault(j["device"], {"device": j["device"], "jobs": 0, "worker_s": 0.0, "setup_s": 0.0,
                                          "brian_run_s": 0.0, "compile_s": 0.0, "binary_s": 0.0})
        r["jobs"] += 1
        r["worker_s"] += float(j.get("seconds") or 0.0)
        r["setup_s"] += float(t.get("setup_s") or 0.0)
        r["brian_run_s"] += float(t.get("run_s") or t.get("build_s") or 0.0)
        r["compile_s"] += float(t.get("compile_s") or 0.0)
        r["binary_s"] += float(t.get("exec_s") or 0.0)
    for r in rows.values():
        r["start_io_s"] = max(r["worker_s"] - r["setup_s"] - r["brian_run_s"], 0.0)
    return list(rows.values())


def print_profile(console, jobs: list[dict], phases: dict, generate_s: float) -> None:
    from rich.table import Table
    t = Table(title="where the time went (seconds summed over jobs; jobs run in parallel)")
    for col in ("device", "jobs", "worker", "start+io", "setup", "brian run", "compile", "binary"):
        t.add_column(col, justify="right")
    for r in device_rows(jobs):
        t.add_row(r["device"], str(r["jobs"]), *(f"{r[k]:.1f}" for k in
                  ("worker_s", "start_io_s", "setup_s", "brian_run_s", "compile_s", "binary_s")))
    console.print(t)
    console.print(f"parent: case generation {generate_s:.1f} s, "
                  f"probes + plan {phases.get('probe_and_plan_s', 0):.1f} s, "
                  f"jobs {phases.get('jobs_s', 0):.1f} s (wall), judging {phases.get('judge_s', 0):.1f} s, "
                  f"re-runs alone {phases.get('isolate_s', 0):.1f} s; worker processes started: "
                  f"{phases.get('processes_started', 0)}")
