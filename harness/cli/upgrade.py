"""Before and after a Brian2 upgrade: the options of `corpus`, and `record`, `compare`, `history` (options and
commands). The corpus itself is upgrade/corpus.py."""
from __future__ import annotations

import json
import os
import sys

from brian2_harness import variant_sources
from brian2_harness.atomic import write_output
from brian2_harness.cells.verdict import ERROR, FAIL, PASS, SKIP
from brian2_harness.cli.common import add_plugin_option, resolve_devices, resolve_dtypes, resolve_variants
from brian2_harness.commalist import comma_list
from brian2_harness.devices import CPU_DEVICES
from brian2_harness.errors import UsageError
from brian2_harness.reports.results import print_table
from brian2_harness.run.progress import Progress
from brian2_harness.upgrade import corpus as corpus_command
from brian2_harness.upgrade import script_history
from brian2_harness.upgrade.baseline import DEFAULT_DTYPES, load_baseline, write_baseline
from brian2_harness.upgrade.changes import CellChange, compare, regressions
from brian2_harness.upgrade.corpus import load_corpus
from brian2_harness.upgrade.history import history_document, load_history
from brian2_harness.upgrade.history_render import markdown
from brian2_harness.upgrade.record import record
from brian2_harness.upgrade.render import env_line, group_changes, markdown_table, print_comparison, summary_line


def _add_run_options(p):
    add_plugin_option(p)
    p.add_argument("--jobs", type=int, default=None, help="parallel worker processes (default: cores, max 4)")
    p.add_argument("--timeout", type=float, default=900.0, help="seconds per worker process (default 900)")
    p.add_argument("--cache-dir", help="build and cache folder (default ~/.cache/brian2-harness)")
    p.add_argument("--quiet", action="store_true", help="no progress lines")


def _family_count(text: str) -> tuple[str, int]:
    name, _, count = text.partition("=")
    try:
        return name.strip(), int(count)
    except ValueError:
        raise UsageError(f"--family-cases: expected FAMILY=N, got {text!r}") from None


def add_corpus_parser(subparsers):
    p = subparsers.add_parser("corpus", help="write a fixed set of cases of every family (input of `record`)")
    p.add_argument("--seed", type=int, default=0, help="seed of the case generator (default 0)")
    p.add_argument("--cases", type=int, default=None,
                   help="generated cases of every family (default: each family's own, `Family.corpus_size`: 10 for "
                        "growth and metaplastic)")
    p.add_argument("--family-cases", action="append", default=[], type=_family_count, metavar="FAMILY=N",
                   help="generated cases of one family (repeatable; overrides --cases)")
    p.add_argument("--meta-cases", type=int, default=None,
                   help="generated cases of every family after the first (growth); kept for older scripts: "
                        "--family-cases says which family")
    p.add_argument("--no-default-cases", action="store_true", help="leave out the documented default cases")
    p.add_argument("--out", required=True, metavar="FILE.json", help="corpus file (written atomically)")
    add_plugin_option(p, "variants or families")
    return p


def add_parser(subparsers):
    """Adds `corpus`, `record`, `compare` and `history`."""
    add_corpus_parser(subparsers)
    p = subparsers.add_parser("record", help="run a corpus and store every observable as a baseline (.npz)")
    p.add_argument("--corpus", required=True, metavar="CORPUS.json", help="cases to run (from `brian2-harness corpus`)")
    p.add_argument("--out", required=True, metavar="BASELINE.npz", help="baseline file (written atomically)")
    p.add_argument("--variants", default="all",
                   help="comma-separated variants, 'all' (built-ins) or a family name (its built-ins)")
    p.add_argument("--devices", default=",".join(CPU_DEVICES), help="comma-separated devices (default: CPU devices)")
    p.add_argument("--dtype", default=",".join(DEFAULT_DTYPES), help="float64, float32 or both (default both)")
    _add_run_options(p)
    c = subparsers.add_parser("compare", help="rerun a baseline's cells with the installed Brian2 and report changes")
    c.add_argument("baseline", metavar="BASELINE.npz", help="written by `brian2-harness record`")
    c.add_argument("--corpus", metavar="CORPUS.json", help="check that this is the corpus the baseline was recorded on")
    c.add_argument("--json", dest="json_out", metavar="OUT.json", help="write the per-cell comparison as JSON")
    c.add_argument("--markdown", metavar="OUT.md", help="write the comparison table as Markdown")
    _add_run_options(c)
    h = subparsers.add_parser("history", help="compare baselines recorded under several Brian2 versions, each with "
                                              "the one before it (offline: no Brian run)")
    h.add_argument("baselines", nargs="*", metavar="BASELINE.npz",
                   help="baselines of the same corpus, or folders written by `check SCRIPT --record DIR` (ordered "
                        "by their Brian2, numpy, Python, Cython versions)")
    h.add_argument("--scheduler", metavar="ADDRESS", help="record --corpus first on a Dask cluster, once per worker "
                   "environment, in parallel (needs brian2-harness[cluster]); no baseline files then")
    h.add_argument("--corpus", metavar="CORPUS.json", help="with --scheduler: the corpus to record")
    h.add_argument("--out-dir", metavar="DIR", help="with --scheduler: where the recorded baselines are written")
    h.add_argument("--brian2", default="", help="with --scheduler: Brian2 versions the history must contain "
                   "(comma-separated; a version no worker offers is named as missing)")
    h.add_argument("--variants", default="all", help="with --scheduler: variants to record (default all)")
    h.add_argument("--devices", default="numpy,cython,cpp_standalone", help="with --scheduler: devices to record")
    h.add_argument("--dtype", default=",".join(DEFAULT_DTYPES), help="with --scheduler: dtypes to record")
    h.add_argument("--timeout", type=float, default=900.0, help="with --scheduler: seconds per worker process")
    h.add_argument("--json", dest="json_out", metavar="OUT.json", help="write the history as JSON")
    h.add_argument("--markdown", metavar="OUT.md", help="write the history tables as Markdown")
    return p, c, h


def _progress(args):
    if args.quiet:
        return None
    return Progress()


def cmd_record(args) -> int:
    from rich.console import Console
    from rich.markup import escape


    variant_sources.load_all(args.plugin)        # plugin files may register families whose cases the corpus holds
    corpus = load_corpus(args.corpus)
    variants = resolve_variants(args.variants, args.plugin)
    devices, dtypes = resolve_devices(args.devices), resolve_dtypes(args.dtype)
    if os.path.isdir(args.out):
        raise UsageError(f"--out '{args.out}' is a directory")
    baseline, result = record(corpus, variants, devices, dtypes, plugins=args.plugin, jobs=args.jobs,
                              timeout=args.timeout, cache_dir=args.cache_dir, progress=_progress(args))
    console = Console(width=None if sys.stdout.isatty() else 200)
    print_table(result.verdicts, console, title="baseline run")
    s = baseline.manifest["summary"]
    if result.interrupted:
        console.print("[bold red]interrupted[/]: baseline not written")
        return 1
    write_baseline(baseline, args.out)
    stored = sum(1 for c in baseline.cells if c["arrays"])
    line = (f"baseline: {s['cells']} cells ({stored} with observables; {s[PASS]} pass, {s[FAIL]} fail, "
            f"{s[ERROR]} error, {s[SKIP]} skip) on {corpus.summary()}, {env_line(baseline.environment)}, "
            f"in {baseline.manifest['seconds']:.1f} s -> {args.out}")
    for attr, res in baseline.manifest["private_api"].items():
        console.print(escape(f"private Brian API {attr}: {'honoured' if res.get('honoured') else 'NOT honoured'}"
                             + (f" ({res['detail']})" if res.get("detail") else "")))
    if s[FAIL] or s[ERROR] or not stored:
        console.print(f"[bold red]recorded with problems[/]: {line}; failing/erroring cells can only be "
                      f"compared by verdict")
        return 1
    console.print(f"[bold green]OK[/]: {line}")
    return 0


def cmd_compare(args) -> int:
    from rich.console import Console

    variant_sources.load_all(args.plugin)        # plugin files may register families whose cases the baseline holds
    baseline = load_baseline(args.baseline)
    corpus = load_corpus(args.corpus) if args.corpus else None
    for out in (args.json_out, args.markdown):
        if out and os.path.isdir(out):
            raise UsageError(f"output '{out}' is a directory")
    doc = compare(baseline, corpus=corpus, plugins=args.plugin, jobs=args.jobs, timeout=args.timeout,
                  cache_dir=args.cache_dir, progress=_progress(args))
    rows = group_changes([CellChange(**c) for c in doc["cells"]])
    console = Console(width=None if sys.stdout.isatty() else 200)
    print_comparison(doc, rows, console)
    if args.json_out:
        write_output(args.json_out, json.dumps(doc, indent=1), "cannot write the comparison")
    if args.markdown:
        write_output(args.markdown, markdown_table(doc, rows), "cannot write the comparison")
    problems = regressions(doc)
    if problems:
        console.print(f"[bold red]CHANGED[/]: {summary_line(doc)}; " + "; ".join(problems))
        return 1
    console.print(f"[bold green]OK[/]: {summary_line(doc)}")
    return 0


def cmd_history(args) -> int:
    for out in (args.json_out, args.markdown):
        if out and os.path.isdir(out):
            raise UsageError(f"output '{out}' is a directory")
    paths, absent = args.baselines, []
    if getattr(args, "scheduler", None) is not None:      # "" is a usage error (parse_scheduler), not local
        paths, absent = _record_on_cluster(args)
    if paths and any(script_history.is_script_record_dir(p) for p in paths):   # from `check SCRIPT --record DIR`
        baselines, missing = script_history.load_folders(paths)
        build, render = script_history.history_document, script_history.markdown
    else:
        baselines, missing = load_history(paths) if paths else ([], [])
        build, render = history_document, markdown
    missing += absent
    if absent and len(baselines) < 2:      # a cluster that offers fewer than two of the versions asked for
        print(f"MISSING: {'; '.join(absent)}: no history with fewer than two versions", file=sys.stderr)
        return 1
    if len(baselines) + len(missing) < 2:
        raise UsageError("history: give at least two baseline files (or folders of script records)")
    doc = build(baselines, missing)
    text = render(doc)
    if args.json_out:
        write_output(args.json_out, json.dumps(doc, indent=1), "cannot write the history")
    if args.markdown:
        write_output(args.markdown, text, "cannot write the history")
    print(text)
    if missing:
        print(f"MISSING: no baseline for {', '.join(missing)}: those versions are not in the history")
        return 1
    return 0


def _record_on_cluster(args) -> tuple[list[str], list[str]]:
    from brian2_harness.run.cluster import connect, parse_scheduler
    from brian2_harness.upgrade.cluster_history import check_args, record_everywhere
    parse_scheduler(args.scheduler)                # "" or a malformed address: the forms it takes
    check_args(args)
    load_corpus(args.corpus)                       # a bad corpus is a usage error before anything is submitted
    variants, devices = resolve_variants(args.variants, ()), resolve_devices(args.devices)
    dtypes = resolve_dtypes(args.dtype)
    with connect(args.scheduler) as client:
        return record_everywhere(client, args.corpus, args.out_dir, variants=variants, devices=devices,
                                 dtypes=dtypes, timeout=args.timeout, wanted=comma_list(args.brian2 or ""),
                                 say=lambda text: print(text, file=sys.stderr, flush=True))


COMMANDS = {"corpus": corpus_command.cmd_corpus, "record": cmd_record, "compare": cmd_compare, "history": cmd_history}
