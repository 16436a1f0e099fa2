"""`brian2-harness run`: resolve the arguments into a RunConfig, execute, print the table, write the artifacts."""
from __future__ import annotations

import json
import sys
import time

from brian2_harness import registry, variant_sources
from brian2_harness.atomic import atomic_write_text
from brian2_harness.cells.verdict import BUILT, ERROR, FAIL, PASS, SKIP
from brian2_harness.cli.common import (
    EXIT_FAIL,
    EXIT_OK,
    add_plugin_option,
    check_dtypes,
    resolve_devices,
    resolve_variants,
)
from brian2_harness.commalist import comma_list
from brian2_harness.devices import CPU_DEVICES, get_device
from brian2_harness.errors import UsageError
from brian2_harness.families import all_families, all_semantics, default_family, get_family
from brian2_harness.families.cases import check_limits
from brian2_harness.reports import junit, merge
from brian2_harness.reports import render as html_report
from brian2_harness.reports.profile import print_profile
from brian2_harness.reports.results import print_table, results_document, summarize, write_json
from brian2_harness.run import RunConfig, default_cache_dir, execute, slots
from brian2_harness.run.progress import Progress
from brian2_harness.tools.environment import environment

DEFAULT_SCHEDULE = (1e-4, 1.0, 3.0)


def add_parser(subparsers) -> None:
    run = subparsers.add_parser(
        "run", help="verify the weight-normalization models (and plugin variants) on every device")
    add_plugin_option(run)
    run.add_argument("--variants", default="all",
                     help="comma-separated variant names, 'all' (every built-in) or a family name (its built-ins)")
    run.add_argument("--devices", default=",".join(CPU_DEVICES), help="comma-separated device names")
    run.add_argument("--dtype", default="float64", help="float64, float32 or both (comma-separated)")
    run.add_argument("--cases", type=int, default=20, help="number of generated cases (default 20)")
    run.add_argument("--seed", type=int, default=0, help="seed of the case generator")
    run.add_argument("--case-file", help="JSON file with a list of cases instead of generated ones")
    run.add_argument("--default-case", action="store_true", help="also include the documented default case")
    run.add_argument("--schedule", default="default",
                     help="'default' (dt 0.1 ms, period 1 s, 3 s: one batch), 'mixed' (several short schedules) "
                          "or DT,PERIOD,DURATION in seconds")
    run.add_argument("--against", metavar="SEMANTICS",
                     help="check against this oracle instead of each variant's claim (one of the families' "
                          "semantics, e.g. aligned or lagged for growth: `list` shows them)")
    run.add_argument("--require-lag-visible", action="store_true",
                     help="fail a cell whose detection limit cannot see a one-step schedule lag (abs(g)*dt) on every "
                          "neuron")
    run.add_argument("--require", default="", help="comma-separated devices that must run (missing = failure)")
    run.add_argument("--timeout", type=float, default=900.0, help="seconds per worker process (default 900)")
    run.add_argument("--jobs", type=int, default=None, help="parallel worker processes (default: cores, max 4)")
    run.add_argument("--cache-dir", help="build and cache folder (default ~/.cache/brian2-harness)")
    run.add_argument("--keep-builds", action="store_true", help="keep build folders of passing cells")
    run.add_argument("--no-cache", action="store_true", help="fresh standalone build folders (compile every cell)")
    run.add_argument("--max-synapses", type=int, default=200_000,
                     help="reject a case with more synapses (default 200000)")
    run.add_argument("--max-memory-mb", type=float, default=2048.0,
                     help="reject a case whose estimated memory is larger (MB)")
    run.add_argument("--json", dest="json_out", metavar="OUT", help="write all cells as JSON")
    run.add_argument("--quiet", action="store_true", help="no progress lines")
    run.add_argument("--fresh-workers", action="store_true",
                     help="one worker process per job (default: long-lived workers that reset Brian between jobs; a "
                          "worker whose job failed is never reused)")
    run.add_argument("--profile", action="store_true",
                     help="print where the time went: per device (start-up, setup, code generation + run, compile, "
                          "binary) and in the parent (generation, judging)")
    run.add_argument("--report", metavar="DIR",
                     help="also write an HTML + Markdown report (index.html, summary.md) into DIR")
    run.add_argument("--junit", metavar="FILE", help="also write JUnit XML, one testcase per cell")
    run.add_argument("--scheduler", metavar="ADDRESS", help="run the jobs as Dask tasks: a scheduler address "
                     "(tcp://HOST:8786) or local[:N] (N local workers); needs brian2-harness[cluster]")
    run.add_argument("--resume", metavar="PREVIOUS.json", help="finish an interrupted run: keep the cells of the "
                     "jobs PREVIOUS.json (its --json) finished, run the others")
    run.add_argument("--shard", metavar="K/N", help="run shard K of N (whole build families); `merge` joins the "
                     "shards' JSON into the unsharded run's document")


def _parse_schedule(text: str):
    if text == "mixed":
        return None
    if text == "default":
        return DEFAULT_SCHEDULE
    try:
        dt, period, duration = (float(x) for x in text.split(","))
    except ValueError:
        raise UsageError(f"--schedule must be 'default', 'mixed' or DT,PERIOD,DURATION (seconds), "
                         f"got {text!r}") from None
    return dt, period, duration


def _checked_options(args) -> tuple[list[str], list[str], set[str]]:
    """(devices, dtypes, required devices) of `args`, each validated: one UsageError naming the option."""
    devices = resolve_devices(args.devices)
    dtypes = check_dtypes(comma_list(args.dtype))
    require = set(comma_list(args.require))
    for d in require:
        get_device(d)
        if d not in devices:
            raise UsageError(f"--require: device '{d}' is not among --devices ({', '.join(devices)})")
    if args.cases < 0:
        raise UsageError(f"--cases must be >= 0, got {args.cases}")
    if args.against is not None and args.against not in all_semantics():
        raise UsageError(f"--against: '{args.against}' is no family's oracle semantics (known: "
                         f"{', '.join(all_semantics())})")
    if args.timeout <= 0:
        raise UsageError(f"--timeout must be > 0 seconds, got {args.timeout}")
    if args.jobs is not None and args.jobs < 1:
        raise UsageError(f"--jobs must be >= 1, got {args.jobs}")
    return devices, dtypes, require


def _cases(args, variants: list[str]) -> tuple[list[str], list]:
    """(variants that have cases, the cases of their families): generated, from --case-file, + --default-case."""
    schedule = _parse_schedule(args.schedule)
    selected = {registry.get(v).family for v in variants}
    by_family: dict[str, list] = {}
    if args.case_file:
        for case in load_case_file(args.case_file):
            by_family.setdefault(_family_of(case).name, []).append(case)
    for fam in all_families():
        if not fam.has_cases or fam.name not in selected:
            continue
        cases = by_family.setdefault(fam.name, [])
        if not args.case_file:
            cases += fam.generate(args.cases, args.seed, schedule=schedule)
        if args.default_case:
            cases.insert(0, fam.default_case())
    has = {f.name: (not f.has_cases) or bool(by_family.get(f.name)) for f in all_families()}
    if args.variants == "all" or args.variants in has:   # defaults cover the families the cases are for
        variants = [v for v in variants if has[registry.get(v).family]] or variants
        selected = {registry.get(v).family for v in variants}
    if not all(has[f] for f in selected):
        raise UsageError("no cases: use --cases N (N >= 1), --case-file or --default-case")
    return variants, [c for f in by_family.values() for c in f]


def _resolve_run(args):
    from pathlib import Path
    variant_sources.load_all(args.plugin)
    variants = resolve_variants(args.variants)
    devices, dtypes, require = _checked_options(args)
    variants, cases = _cases(args, variants)
    check_limits(cases, args.max_synapses, args.max_memory_mb)
    cfg = RunConfig(variants=variants, devices=devices, dtypes=dtypes, cases=cases, require=require,
                    plugins=list(args.plugin), against=args.against, timeout=args.timeout,
                    cache_dir=Path(args.cache_dir) if args.cache_dir else default_cache_dir(),
                    keep_builds=args.keep_builds, use_cache=not args.no_cache,
                    require_lag_visible=args.require_lag_visible,
                    reuse_workers=not getattr(args, "fresh_workers", False))
    if args.jobs is not None:
        cfg.jobs = args.jobs
    return cfg


def _family_of(case):
    for fam in all_families():
        if fam.has_cases and isinstance(case, type(fam.default_case())):
            return fam
    raise UsageError(f"no family owns cases of type {type(case).__name__}")


def load_case_file(path: str) -> list:
    """Cases of any family from a JSON list: an entry belongs to the family that claims its keys (families/base.py),
    else to the default family for case files."""
    try:
        with open(path) as f:
            data = json.load(f)
    except OSError as exc:
        raise UsageError(f"case file '{path}': {exc.strerror}") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise UsageError(f"case file '{path}' is not valid JSON: {exc}") from None
    except RecursionError:
        raise UsageError(f"case file '{path}' is nested too deeply to be a case file") from None
    items = data.get("cases") if isinstance(data, dict) else data
    if not isinstance(items, list):
        raise UsageError(f"case file '{path}': expected a list of cases or an object with 'cases'")
    families = [f for f in all_families() if f.has_cases]
    fallback = default_family()
    out = []
    for k, item in enumerate(items):
        fam = next((f for f in families if f.claims(item)), fallback)
        item = {key: v for key, v in item.items() if key != "format"} if isinstance(item, dict) else item
        try:
            out.append(fam.case_from_dict(item))
        except UsageError as exc:
            raise UsageError(f"case file '{path}', case {k}: {exc}") from None
    return out


def cmd_run(args) -> int:
    from rich.console import Console
    from rich.markup import escape


    t0 = time.perf_counter()
    cfg = _resolve_run(args)
    generate_s = time.perf_counter() - t0
    console = Console(width=None if sys.stdout.isatty() else 200)
    cannot = {d: get_device(d).probe() for d in sorted(cfg.require)}
    cannot = {d: p for d, p in cannot.items() if p.mode != "run"}
    if cannot:   # fail before building anything: a required device that cannot run makes the run fail
        for d, p in cannot.items():
            console.print(f"[bold red]FAILED[/]: {escape(d)} required but it cannot run here: {escape(p.reason)}")
        return EXIT_FAIL
    from brian2_harness.run import cluster
    from brian2_harness.run.subset import Shard, parse_shard
    config_record = {
        "variants": cfg.variants, "devices": cfg.devices, "dtypes": cfg.dtypes, "cases": len(cfg.cases),
        "seed": args.seed, "against": cfg.against, "require": sorted(cfg.require), "plugins": cfg.plugins,
        "require_lag_visible": cfg.require_lag_visible,
    }
    subset = Shard(*parse_shard(args.shard), cfg.against) if getattr(args, "shard", None) else None
    resume = _resume(args, config_record)
    if resume is not None:
        if subset is not None:
            raise UsageError("--resume and --shard: resume each shard from its own JSON without --shard")
        subset = resume
    scheduler = getattr(args, "scheduler", None)
    with cluster.backend(scheduler, cfg.cache_dir) as backend:
        result = execute(cfg, progress=None if args.quiet else Progress(), backend=backend, subset=subset)
    distributed = {"cluster": cluster.describe(scheduler, backend)} if backend else {}
    if subset is not None and resume is None:
        distributed["shard"] = subset.section(result.plan, result.jobs)
    job_records = [_job_record(j) for j in result.jobs]
    if resume is not None:
        result.verdicts = resume.combine(result.plan, result.verdicts, result.jobs, cfg.against)
        job_records = resume.records(result.plan, job_records)
    print_table(result.verdicts, console)
    if args.profile:
        print_profile(console, job_records, result.phases, generate_s)
    slow = slots.slow_jobs(job_records)
    slots.print_slow_jobs(slow, console)
    summary = summarize(result.verdicts)
    missing = result.missing_required(cfg.require & {v.device for v in result.verdicts} if subset else cfg.require)
    skipped = sorted({(v.variant, v.device, v.dtype, v.reason) for v in result.verdicts if v.verdict == SKIP})
    for variant, device, dtype, reason in skipped:
        console.print(f"[yellow]skipped[/] {escape(f'{variant} x {device} x {dtype}: {reason}')}")
    problems = _problems(result, summary, missing)
    repro = write_repro(result.verdicts, cfg.cache_dir)
    if repro:
        console.print(f"minimal failing cases (one JSON file each, re-run alone): {escape(repro)}")
    cache = result.cache_summary()
    if args.json_out or args.report or args.junit:
        extra = {"required_missing": missing, "seconds": result.seconds, "phases": result.phases,
                 "build_cache": cache, "scheduling": slots.scheduling(cfg.jobs), "slow_jobs": slow,
                 "jobs": job_records, **distributed}
        _write_documents(args, cfg, result, config_record, extra, console)
    _print_outcome(console, cache, cfg, summary, result.seconds, problems)
    return EXIT_FAIL if problems else EXIT_OK


def _problems(result, summary: dict, missing: list[str]) -> list[str]:
    """Why the run fails (empty: it passes): interrupted, failed or errored cells, a required device that did not
    run, or nothing that ran at all."""
    problems = []
    if result.interrupted:
        problems.append("interrupted: results of finished cells only")
    if summary[FAIL] or summary[ERROR]:
        problems.append(f"{summary[FAIL]} failed, {summary[ERROR]} errored cell(s)")
    for d in missing:
        reason = result.probes[d].reason if d in result.probes else "not run"
        problems.append(f"required device {d} did not run: {reason}")
    if summary[PASS] + summary[FAIL] + summary[BUILT] == 0:
        problems.append("nothing ran: no cell produced a result")
    return problems


def _write_documents(args, cfg, result, config_record: dict, extra: dict, console) -> None:
    """--json, --junit, --report: the results document and what is rendered from it."""
    from rich.markup import escape
    env = environment()
    for device in dict.fromkeys(j.device for j in result.jobs):     # what a device adds (cuda: its toolchain)
        env.update(get_device(device).environment_report(str(cfg.cache_dir)))
    doc = results_document(result.verdicts, environment=env,
                           status="interrupted" if result.interrupted else "complete", config=config_record,
                           extra=extra)
    if args.json_out:
        write_json(args.json_out, doc)
    if args.junit:
        junit.write_junit(doc, args.junit)
    if args.report:
        paths = html_report.write_report(doc, args.report)
        console.print(f"report: {escape(paths['html'])}")


def _print_outcome(console, cache: dict, cfg, summary: dict, seconds: float, problems: list[str]) -> None:
    from rich.markup import escape
    if cache["standalone_jobs"]:
        console.print(f"standalone builds: {cache['compiles']} compiled, {cache['hits']} reused from the build cache "
                      f"({escape(str(cfg.cache_dir / 'standalone'))})")
    line = (f"{summary['cells']} cells: {summary[PASS]} pass, {summary[FAIL]} fail, {summary[ERROR]} error, "
            f"{summary[SKIP]} skip" + (f", {summary[BUILT]} built (not run)" if summary[BUILT] else "")
            + f" in {seconds:.1f} s")
    if problems:
        console.print(f"[bold red]FAILED[/]: {line}; " + escape("; ".join(problems)))
    else:
        console.print(f"[bold green]OK[/]: {line}")


def _resume(args, config_record: dict):
    """The Resume subset of `--resume PREVIOUS.json` (run/resume.py), or None."""
    path = getattr(args, "resume", None)
    if not path:
        return None
    from brian2_harness.run.resume import Resume, check_same_config
    previous = merge.load_results(path)
    check_same_config(previous, config_record, f"'{path}'")
    return Resume(previous)


def _job_record(job) -> dict:
    """A job as the results JSON keeps it: what ran (variant, device, dtype, batch, case ids and sizes) and
    how long (worker seconds; `timing`: setup_s, run_s and, for standalone devices, compile_s / exec_s)."""
    sizes = [get_family(job.variant.family).case_sizes(c) for c in job.cases]
    return dict(label=job.label, variant=job.variant.name, device=job.device, dtype=job.dtype, batch=job.batch,
                cases=list(job.case_ids), case_sizes=sizes, seconds=job.seconds, timing=job.timing,
                error=job.error, cache=job.cache, workarounds=job.workarounds)


def write_repro(verdicts, cache_dir) -> str:
    """One case file per failing cell, and its replay command with the real path; returns the folder."""
    import os
    import time as _time

    failing = [v for v in verdicts if v.verdict == "fail" and v.extra.get("case")]
    if not failing:
        return ""
    folder = os.path.join(str(cache_dir), "repro", _time.strftime("%Y%m%d-%H%M%S") + f"-{os.getpid()}")
    for v in failing:
        path = os.path.join(folder, f"{v.variant}-{v.device}-{v.dtype}-{v.case_id}.json")
        atomic_write_text(path, json.dumps([v.extra["case"]], indent=1))
        v.extra["replay"] = v.extra.get("replay", "").replace("CASE.json", path)
        v.extra["case_file"] = path
    return folder


COMMANDS = {"run": cmd_run}
