"""The `brian2-harness` command line. Exit codes: 0 all good, 1 a cell failed/errored or a required
device did not run (or nothing ran), 2 usage error. Usage errors print one line; `--debug` shows tracebacks."""
from __future__ import annotations

import argparse
import json
import sys

from . import registry
from .case import DTYPES
from .devices import CPU_DEVICES, all_devices, get_device
from .errors import UsageError
from .family import get_family
from . import baseline, bench, corpus, doctor, html_report, junit, merge, slots

EXIT_OK, EXIT_FAIL, EXIT_USAGE = 0, 1, 2
DEFAULT_SCHEDULE = (1e-4, 1.0, 3.0)


class _Parser(argparse.ArgumentParser):
    def error(self, message):
        raise UsageError(message)


def _csv(text: str) -> list[str]:
    return [x.strip() for x in text.split(",") if x.strip()]


def _add_common(p):
    p.add_argument("--plugin", action="append", default=[], metavar="FILE.py",
                   help="Python file that registers variants (repeatable)")


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="brian2-harness", description="Cross-backend verification of Brian2 weight-normalization models")
    p.add_argument("--debug", action="store_true", help="show tracebacks for usage errors")
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)

    ls = sub.add_parser("list", help="variants and devices (with availability)")
    _add_common(ls)
    ls.add_argument("--json", action="store_true", help="machine-readable output")

    run = sub.add_parser("run", help="run the verification matrix")
    _add_common(run)
    run.add_argument("--variants", default="all", help="comma-separated variant names, 'all' (every built-in) or 'growth' (built-in growth variants)")
    run.add_argument("--devices", default=",".join(CPU_DEVICES), help="comma-separated device names")
    run.add_argument("--dtype", default="float64", help="float64, float32 or both (comma-separated)")
    run.add_argument("--cases", type=int, default=20, help="number of generated cases (default 20)")
    run.add_argument("--seed", type=int, default=0, help="seed of the case generator")
    run.add_argument("--case-file", help="JSON file with a list of cases instead of generated ones")
    run.add_argument("--default-case", action="store_true", help="also include the documented default case")
    run.add_argument("--schedule", default="default",
                     help="'default' (dt 0.1 ms, period 1 s, 3 s: one batch), 'mixed' (several short schedules) "
                          "or DT,PERIOD,DURATION in seconds")
    run.add_argument("--against", choices=["aligned", "lagged"], help="check against this oracle instead of each variant's claim")
    run.add_argument("--require-lag-visible", action="store_true",
                     help="fail a cell whose detection limit cannot see a one-step schedule lag (|g|*dt) on every neuron")
    run.add_argument("--require", default="", help="comma-separated devices that must run (missing = failure)")
    run.add_argument("--timeout", type=float, default=900.0, help="seconds per worker process (default 900)")
    run.add_argument("--jobs", type=int, default=None, help="parallel worker processes (default: cores, max 4)")
    run.add_argument("--cache-dir", help="build and cache folder (default ~/.cache/brian2-harness)")
    run.add_argument("--keep-builds", action="store_true", help="keep build folders of passing cells")
    run.add_argument("--no-cache", action="store_true", help="fresh standalone build folders (compile every cell)")
    run.add_argument("--max-synapses", type=int, default=200_000, help="reject a case with more synapses (default 200000)")
    run.add_argument("--max-memory-mb", type=float, default=2048.0, help="reject a case whose estimated memory is larger (MB)")
    run.add_argument("--json", dest="json_out", metavar="OUT", help="write all cells as JSON")
    run.add_argument("--quiet", action="store_true", help="no progress lines")
    run.add_argument("--report", metavar="DIR", help="also write an HTML + Markdown report (index.html, summary.md) into DIR")
    run.add_argument("--junit", metavar="FILE", help="also write JUnit XML, one testcase per cell")

    for module in (html_report, junit, merge, doctor, bench, corpus, baseline):
        module.add_parser(sub)
    return p


def cmd_list(args) -> int:
    registry.load_all(args.plugin)
    variants = [dict(name=v.name, family=v.family, semantics=v.semantics,
                     devices=list(v.devices) if v.devices else [d.name for d in all_devices()],
                     description=v.description, source=v.source) for v in registry.all_variants()]
    devices = []
    for d in all_devices():
        pr = d.probe()
        devices.append(dict(name=d.name, mode=pr.mode, reason=pr.reason, description=d.description))
    sched = slots.scheduling()
    if args.json:
        print(json.dumps({"variants": variants, "devices": devices, "scheduling": sched}, indent=1))
        return EXIT_OK
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table
    console = Console(width=None if sys.stdout.isatty() else 200)
    t = Table(title="variants")
    for col in ("name", "family", "semantics", "devices", "description"):
        t.add_column(col, overflow="fold")
    for v in variants:   # data, not markup: "[cuda]" or "w[i]" must print as written
        t.add_row(*(escape(x) for x in (v["name"], v["family"], v["semantics"] or "(device vs device)",
                                        ",".join(v["devices"]), v["description"] or "")))
    console.print(t)
    t = Table(title="devices")
    for col in ("name", "mode", "reason"):
        t.add_column(col, overflow="fold")
    for d in devices:
        t.add_row(escape(d["name"]), escape(d["mode"]), escape(d["reason"]))
    console.print(t)
    console.print(escape(slots.scheduling_line(sched)), soft_wrap=True)
    return EXIT_OK


def _parse_schedule(text: str):
    if text == "mixed":
        return None
    if text == "default":
        return DEFAULT_SCHEDULE
    try:
        dt, period, duration = (float(x) for x in text.split(","))
    except ValueError:
        raise UsageError(f"--schedule must be 'default', 'mixed' or DT,PERIOD,DURATION (seconds), got {text!r}") from None
    return dt, period, duration


def _resolve_run(args):
    from pathlib import Path

    from .case import Case, check_limits, default_case
    from .generate import generate_cases
    from .matrix import RunConfig, default_cache_dir

    registry.load_all(args.plugin)
    if args.variants == "all":
        variants = [v.name for v in registry.all_variants() if v.source == "builtin"]
    elif args.variants == "growth":
        variants = [v.name for v in registry.all_variants() if v.source == "builtin" and v.family == "growth"]
    else:
        variants = _csv(args.variants)
        for name in variants:
            registry.get(name)
    if not variants:
        raise UsageError("--variants: no variant selected")
    devices = _csv(args.devices)
    if not devices:
        raise UsageError("--devices: no device selected")
    for d in devices:
        get_device(d)
    dtypes = _csv(args.dtype)
    for d in dtypes:
        if d not in DTYPES:
            raise UsageError(f"--dtype: '{d}' is not one of {', '.join(DTYPES)}")
    require = set(_csv(args.require))
    for d in require:
        get_device(d)
        if d not in devices:
            raise UsageError(f"--require: device '{d}' is not among --devices ({', '.join(devices)})")
    if args.cases < 0:
        raise UsageError(f"--cases must be >= 0, got {args.cases}")
    if args.timeout <= 0:
        raise UsageError(f"--timeout must be > 0 seconds, got {args.timeout}")
    schedule = _parse_schedule(args.schedule)
    families = {registry.get(v).family for v in variants}
    meta_cases: list = []
    if args.case_file:
        cases, meta_cases = load_case_file(args.case_file)
    else:
        if schedule:
            Case(n_pre=1, n_post=1, dt=schedule[0], period=schedule[1], duration=schedule[2])  # validates
        cases = generate_cases(args.cases, args.seed, schedule=schedule) if args.cases else []
        if "metaplastic" in families and args.cases:
            meta_cases = get_family("metaplastic").generate(args.cases, args.seed)
    if args.default_case:
        cases.insert(0, default_case())
        if "metaplastic" in families:
            meta_cases.insert(0, get_family("metaplastic").default_case())
    if args.variants in ("all", "growth"):   # defaults cover the families the cases are for
        have = {"growth": bool(cases), "metaplastic": bool(meta_cases), "custom": True}
        variants = [v for v in variants if have[registry.get(v).family]] or variants
        families = {registry.get(v).family for v in variants}
    if ("growth" in families and not cases) or ("metaplastic" in families and not meta_cases):
        raise UsageError("no cases: use --cases N (N >= 1), --case-file or --default-case")
    check_limits(cases + meta_cases, args.max_synapses, args.max_memory_mb)
    cfg = RunConfig(variants=variants, devices=devices, dtypes=dtypes, cases=cases, require=require,
                    plugins=list(args.plugin), against=args.against, timeout=args.timeout,
                    cache_dir=Path(args.cache_dir) if args.cache_dir else default_cache_dir(),
                    keep_builds=args.keep_builds, use_cache=not args.no_cache, meta_cases=meta_cases,
                    require_lag_visible=args.require_lag_visible)
    if args.jobs is not None:
        if args.jobs < 1:
            raise UsageError(f"--jobs must be >= 1, got {args.jobs}")
        cfg.jobs = args.jobs
    return cfg


def load_case_file(path: str) -> tuple[list, list]:
    """(growth cases, metaplastic cases) from a JSON list; a case with spike trains is metaplastic."""
    try:
        with open(path) as f:
            data = json.load(f)
    except OSError as exc:
        raise UsageError(f"case file '{path}': {exc.strerror}") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise UsageError(f"case file '{path}' is not valid JSON: {exc}") from None
    items = data.get("cases") if isinstance(data, dict) else data
    if not isinstance(items, list):
        raise UsageError(f"case file '{path}': expected a list of cases or an object with 'cases'")
    growth, meta = [], []
    for k, item in enumerate(items):
        is_meta = isinstance(item, dict) and ("pre_spikes" in item or "post_spikes" in item)
        item = {key: v for key, v in item.items() if key != "format"} if isinstance(item, dict) else item
        try:
            (meta if is_meta else growth).append(get_family("metaplastic" if is_meta else "growth").case_from_dict(item))
        except UsageError as exc:
            raise UsageError(f"case file '{path}', case {k}: {exc}") from None
    return growth, meta


def cmd_run(args) -> int:
    from rich.console import Console
    from rich.markup import escape

    from .environment import environment
    from .matrix import execute
    from .progress import Progress
    from .report import print_table, results_document, summarize, write_json
    from .verdict import BUILT, ERROR, FAIL, PASS, SKIP

    cfg = _resolve_run(args)
    console = Console(width=None if sys.stdout.isatty() else 200)
    cannot = {d: get_device(d).probe() for d in sorted(cfg.require)}
    cannot = {d: p for d, p in cannot.items() if p.mode != "run"}
    if cannot:   # fail before building anything: a required device that cannot run makes the run fail
        for d, p in cannot.items():
            console.print(f"[bold red]FAILED[/]: {escape(d)} required but it cannot run here: {escape(p.reason)}")
        return EXIT_FAIL
    result = execute(cfg, progress=None if args.quiet else Progress())
    print_table(result.verdicts, console)
    job_records = [_job_record(j) for j in result.jobs]
    slow = slots.slow_jobs(job_records)
    slots.print_slow_jobs(slow, console)
    summary = summarize(result.verdicts)
    missing = result.missing_required(cfg.require)
    skipped = sorted({(v.variant, v.device, v.dtype, v.reason) for v in result.verdicts if v.verdict == SKIP})
    for variant, device, dtype, reason in skipped:
        console.print(f"[yellow]skipped[/] {escape(f'{variant} x {device} x {dtype}: {reason}')}")
    status = "interrupted" if result.interrupted else "complete"
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
    repro = write_repro(result.verdicts, cfg.cache_dir)
    if repro:
        console.print(f"minimal failing cases (one JSON file each, re-run alone): {escape(repro)}")
    cache = result.cache_summary()
    if args.json_out or args.report or args.junit:
        env = environment()
        if any(j.device == "cuda_standalone" for j in result.jobs):
            from .cuda import environment_report
            env["cuda"] = environment_report(cache_dir=str(cfg.cache_dir))
        doc = results_document(result.verdicts, environment=env, status=status, config={
            "variants": cfg.variants, "devices": cfg.devices, "dtypes": cfg.dtypes, "cases": len(cfg.cases),
            "seed": args.seed, "against": cfg.against, "require": sorted(cfg.require), "plugins": cfg.plugins,
            "require_lag_visible": cfg.require_lag_visible,
        }, extra={"required_missing": missing, "seconds": result.seconds, "build_cache": cache,
                  "scheduling": slots.scheduling(cfg.jobs), "slow_jobs": slow, "jobs": job_records})
        if args.json_out:
            write_json(args.json_out, doc)
        if args.junit:
            junit.write_junit(doc, args.junit)
        if args.report:
            paths = html_report.write_report(doc, args.report)
            console.print(f"report: {escape(paths['html'])}")
    if cache["standalone_jobs"]:
        console.print(f"standalone builds: {cache['compiles']} compiled, {cache['hits']} reused from the build cache "
                      f"({escape(str(cfg.cache_dir / 'standalone'))})")
    line = (f"{summary['cells']} cells: {summary[PASS]} pass, {summary[FAIL]} fail, {summary[ERROR]} error, "
            f"{summary[SKIP]} skip" + (f", {summary[BUILT]} built (not run)" if summary[BUILT] else "")
            + f" in {result.seconds:.1f} s")
    if problems:
        console.print(f"[bold red]FAILED[/]: {line}; " + escape("; ".join(problems)))
        return EXIT_FAIL
    console.print(f"[bold green]OK[/]: {line}")
    return EXIT_OK


def _job_record(job) -> dict:
    """A job as the results JSON keeps it: what ran (variant, device, dtype, batch, case ids and sizes) and
    how long (worker seconds; `timing`: setup_s, run_s and, for standalone devices, compile_s / exec_s)."""
    sizes = [junit.case_sizes(c) for c in job.cases] if job.variant.family != "custom" else []
    return dict(label=job.label, variant=job.variant.name, device=job.device, dtype=job.dtype, batch=job.batch,
                cases=list(job.case_ids), case_sizes=sizes, seconds=job.seconds, timing=job.timing,
                error=job.error, cache=job.cache, workarounds=job.workarounds)


def write_repro(verdicts, cache_dir) -> str:
    """One case file per failing cell, and its replay command with the real path; returns the folder."""
    import os
    import time as _time

    from .atomic import atomic_write_text
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


COMMANDS = {"list": cmd_list, "run": cmd_run, "report": html_report.run, "junit": junit.run,
            "merge": merge.run, "doctor": doctor.run, "bench": bench.run, "corpus": corpus.run,
            "record": baseline.run, "compare": baseline.run}


def _interrupt(signum, frame):
    raise KeyboardInterrupt


def _install_interrupt_handlers() -> None:
    """Ctrl-C and SIGTERM interrupt a run cleanly, even when the parent started us with SIGINT ignored
    (as non-interactive shells do for background jobs)."""
    import signal
    import threading
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, signal.default_int_handler)
        signal.signal(signal.SIGTERM, _interrupt)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    debug = "--debug" in argv
    try:
        args = build_parser().parse_args(argv)
        return COMMANDS[args.command](args)
    except UsageError as exc:
        if debug:
            raise
        print(f"brian2-harness: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("brian2-harness: interrupted", file=sys.stderr)
        return EXIT_FAIL


def entry() -> int:
    """Console-script entry point: the process is ours, so we own its signal handling."""
    _install_interrupt_handlers()
    return main()


if __name__ == "__main__":
    sys.exit(entry())
