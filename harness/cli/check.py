"""`brian2-harness check SCRIPT.py [SCRIPT.py ...]`: an unmodified Brian2 script on several devices.

Exit status: 0 when every script's devices agree (exactly or statistically; a device that could only be built is
listed, never counted as agreeing); 1 when one fails, errors, nothing could be compared (fewer than two devices
ran, or the others were only built), a device named by `--require` did not run or the run was stopped; 2 for usage
errors. Outputs (JSON, JUnit, HTML/Markdown) are written by cli/check_outputs.py.
"""
from __future__ import annotations

import math
import os
import sys

from brian2_harness.check import check_options, script_baseline
from brian2_harness.check.document import check_document
from brian2_harness.check.duration import parse_duration
from brian2_harness.check.exact import Tolerance
from brian2_harness.check.keep import KEEP_VAR
from brian2_harness.check.script import DEFAULT_DEVICES, KEPT, known_devices, run_device
from brian2_harness.check.servers import FRESH_VAR
from brian2_harness.check.session import Session, check_script
from brian2_harness.check.verdict import CheckResult
from brian2_harness.cli.check_outputs import write_outputs
from brian2_harness.cli.common import EXIT_FAIL
from brian2_harness.commalist import comma_list
from brian2_harness.devices.releases import configure, release_of, versions_of
from brian2_harness.errors import UsageError
from brian2_harness.tools.environment import environment
from brian2_harness.verdicts import AGREE, AGREE_STAT, LABEL


def parse_effect(text: str | None) -> float | None:
    """'2%' or '0.02' -> 0.02."""
    if text is None:
        return None
    raw = text.strip()
    try:
        value = float(raw[:-1]) / 100.0 if raw.endswith("%") else float(raw)
    except ValueError:
        raise UsageError(f"--min-effect: expected a relative change such as 2% or 0.02, got {text!r}") from None
    if not 0 < value < 10:
        raise UsageError(f"--min-effect: expected a relative change between 0 and 1000 %, got {text!r}")
    return value


def parse_tolerances(items: list[str]) -> dict:
    out = {}
    for item in items:
        name, _, values = item.partition("=")
        parts = values.split(",")
        try:
            rtol = float(parts[0])
            atol = float(parts[1]) if len(parts) > 1 else 0.0
        except ValueError:
            raise UsageError(f"--tol: expected NAME=RTOL[,ATOL], got {item!r}") from None
        if not name or not (0 <= rtol < math.inf and 0 <= atol < math.inf):     # NaN fails the comparison too
            raise UsageError(f"--tol: expected NAME=RTOL[,ATOL] with finite non-negative numbers, got {item!r}")
        out[name] = (rtol, atol)
    return out


def add_parser(subparsers):
    p = subparsers.add_parser("check", help="run an unmodified Brian2 script on several devices and compare them")
    p.add_argument("scripts", nargs="+", metavar="SCRIPT.py", help="Brian2 script(s), run as written")
    p.add_argument("--devices", default=",".join(DEFAULT_DEVICES),
                   help=f"comma-separated, the first that runs is the reference (known: {', '.join(known_devices())})")
    p.add_argument("--release-python", action="append", default=[], metavar="RELEASE=PYTHON",
                   help="the interpreter of an environment with that brian2 (and this harness): a device named "
                        "NAME@RELEASE (e.g. numpy@2.9.0) runs there; default: tox's .tox/hist-brian2.RELEASE env")
    p.add_argument("--observe", default="", help="comma-separated monitors or variables to compare, e.g. "
                   "spikemonitor,statemonitor.v,synapses.w (default: every monitor)")
    p.add_argument("--duration-cap", help="cut every run() to at most this much simulated time, e.g. 200ms")
    p.add_argument("--mode", choices=["auto", "exact", "stat"], default="auto",
                   help="auto (default): exact, and statistical when generated code draws random numbers")
    p.add_argument("--seeds", type=int, default=8, help="runs (seeds) per device in statistical mode (default 8)")
    p.add_argument("--seed", type=int, default=0, help="first seed (default 0)")
    p.add_argument("--alpha", type=float, default=0.01, help="family-wise false-alarm rate of the statistical mode")
    p.add_argument("--min-effect", metavar="CHANGE", help="statistical mode: a verdict whose power does not reach "
                   "this relative change of every key statistic (rates per population, means, weights) fails as "
                   "'too weak', with the seeds that would reach it; e.g. 2%%")
    p.add_argument("--max-seeds", type=int, metavar="N", help="statistical mode: add seeds only while the verdict is "
                   "open (looks at 4, 8, 16, ... seeds per device up to N, alpha spent over the looks; stops at a "
                   "difference, at a clear agreement within --min-effect or 5 %%, or at N); replaces --seeds")
    p.add_argument("--rtol", type=float, help="relative tolerance for every observable (default: derived)")
    p.add_argument("--atol", type=float, help="absolute tolerance for every observable (default: derived)")
    p.add_argument("--tol", action="append", default=[], metavar="NAME=RTOL[,ATOL]",
                   help="tolerance of one observable (repeatable)")
    p.add_argument("--max-spike-mismatch", type=int, default=0,
                   help="spikes without a partner within ±dt that still count as agreement (default 0)")
    p.add_argument("--timeout", type=float, default=600.0, help="seconds per run of the script (default 600)")
    p.add_argument("--jobs", type=int, help="device processes at a time (default: number of devices)")
    p.add_argument("--cache-dir", help="build cache (default ~/.cache/brian2-harness/check)")
    p.add_argument("--json", dest="json_out", metavar="OUT",
                   help="write the results as a versioned JSON document "
                        "(brian2-harness-check/1; docs/check-results.md)")
    p.add_argument("--quiet", action="store_true", help="no progress lines")
    p.add_argument("--script-args", default="", help="arguments passed to the script (one string, split on spaces)")
    p.add_argument("--scheduler", metavar="ADDRESS", help="run each device's runs as a Dask task: a scheduler "
                   "address (tcp://HOST:8786) or local[:N]; needs brian2-harness[cluster]")
    p.add_argument("--keep-server", type=float, metavar="MINUTES",
                   help="keep the process server this long after the command (idle), so the next check in this "
                        "environment and folder does not import Brian2 again; restarted when anything it imported "
                        "changed (off by default; docs/speed.md)")
    p.add_argument("--fresh-processes", action="store_true",
                   help="start a fresh Python interpreter for every device call instead of forking it from a process "
                        "server that has imported Brian2 once (the results are the same; slower)")
    p.add_argument("--script-for", action="append", default=[], metavar="DEVICE=SCRIPT.py",
                   help="run another script on one device (negative controls: a deliberately changed copy)")
    p.add_argument("--require", default="", metavar="DEV,...",
                   help="devices that must run: one that did not (unavailable, skipped, or only built because "
                        "there is no GPU) fails the script instead of being skipped")
    p.add_argument("--junit", metavar="FILE.xml", help="also write JUnit XML (one testcase per script and device)")
    p.add_argument("--report", metavar="DIR", help="also write an HTML + Markdown report (index.html, summary.md)")
    p.add_argument("--markdown", metavar="FILE.md", help="also write the Markdown summary to this file")
    p.add_argument("--record", metavar="DIR", help="store every device's observables, environment, seeds and "
                   "options as the script's baseline in DIR")
    p.add_argument("--record-errors", action="store_true", help="with --record: replace a device's good baseline "
                   "even when the device did not run now (error, skip); without it such a record is refused, exit 1")
    p.add_argument("--against", metavar="DIR", help="rerun with the recorded options and compare each device with "
                   "its baseline in DIR (exit 1 when one changed)")
    return p


def expand_scripts(paths: list[str]) -> list[str]:
    """A folder stands for every .py file in it (sorted); one without any stays, to be named as an error."""
    from pathlib import Path
    out = []
    for p in paths:
        found = sorted(str(x) for x in Path(p).glob("*.py")) if os.path.isdir(p) else []
        out += found or [p]                  # a folder without scripts stays: _validate names it
    return out


def _validate(args):
    if getattr(args, "record", None) and getattr(args, "against", None):
        raise UsageError("--record and --against: give one of them")
    if getattr(args, "record_errors", False) and not getattr(args, "record", None):
        raise UsageError("--record-errors: only with --record DIR")
    if getattr(args, "release_python", None):
        configure(args.release_python)
    if getattr(args, "keep_server", None) is not None:
        if not 0 < args.keep_server <= 1440:
            raise UsageError(f"--keep-server: minutes from 0 to 1440 (a day), 0 excluded, got {args.keep_server:g}")
        os.environ[KEEP_VAR] = str(args.keep_server * 60)
    devices = check_options.devices(comma_list(args.devices))
    for s in args.scripts:
        if os.path.isdir(s):
            raise UsageError(f"SCRIPT.py '{s}' is a folder; name the script file(s) in it (e.g. {s}/*.py)")
        if not os.path.isfile(s):
            raise UsageError(f"script not found: {s}")
    check_options.seeds(args.seeds)
    check_options.seed(args.seed)
    check_options.alpha(args.alpha)
    if getattr(args, "record", None):          # before the run: a symlink or a user's file there is refused now
        script_baseline.check_record_targets(args.record, args.scripts)
    if getattr(args, "max_seeds", None) is not None and args.max_seeds < 2:
        raise UsageError(f"--max-seeds must be >= 2, got {args.max_seeds}")
    if args.timeout <= 0:
        raise UsageError(f"--timeout must be > 0, got {args.timeout}")
    if args.jobs is not None and args.jobs < 1:
        raise UsageError(f"--jobs must be >= 1, got {args.jobs}")
    if args.max_spike_mismatch < 0:
        raise UsageError("--max-spike-mismatch must be >= 0")
    for name, value in (("--rtol", args.rtol), ("--atol", args.atol)):
        if value is not None and not 0 <= value < math.inf:          # a NaN or inf bound would pass anything
            raise UsageError(f"{name} must be a finite number >= 0, got {value}")
    if getattr(args, "scheduler", None) is not None:      # before any run: "" or a malformed address is refused
        from brian2_harness.run.cluster import parse_scheduler
        parse_scheduler(args.scheduler)
    script_for = {}
    for item in args.script_for:
        device, _, path = item.partition("=")
        if device not in devices or not os.path.isfile(path):
            raise UsageError(f"--script-for: expected DEVICE=SCRIPT.py with DEVICE among --devices and an existing "
                             f"file, got {item!r}")
        script_for[device] = path
    return devices, script_for


def print_result(r, out=None) -> None:
    out = out or sys.stdout     # looked up at call time: a default bound at import time misses redirections
    label = LABEL.get(r.verdict, r.verdict).upper()
    if r.verdict == AGREE_STAT and r.stat is not None and r.stat.strength:
        label += f" ({r.stat.strength.upper()})"
    print(f"{r.script}: {label} ({r.mode} mode, {r.seconds:.1f} s)", file=out)
    for d, v in r.devices.items():
        print(f"  {d:<20} {LABEL.get(v.verdict, v.verdict):<20} {v.reason}", file=out)
    for d, p in getattr(r, "pairs", {}).items():
        print(f"  judged {p.mode:<12} {d}: {p.why}", file=out)
    for d, run in r.runs.items():
        ran = run.runs[0].meta.get("script") if run.runs else None
        if ran and os.path.abspath(ran) != os.path.abspath(r.script):
            print(f"  {d} ran {ran} (--script-for)", file=out)
        logs = [x.meta.get("log") for x in run.runs if x.meta.get("log")]
        if logs:
            print(f"  output of the script on {d}: {logs[0]}" + (f" (+{len(logs) - 1} more)" if len(logs) > 1 else ""),
                  file=out)
    if r.stat is not None:
        print(f"  statistics: {r.stat.summary}", file=out)
        for line in r.stat.power + r.stat.notes:
            print(f"    {line}", file=out)
    for n in r.notes:
        print(f"  note: {n}", file=out)
    if r.reason and r.verdict not in (AGREE, AGREE_STAT):
        print(f"  reason: {r.reason}", file=out)


def session_of(args, devices, script_for, required=()) -> Session:
    """The check session of the command line's options (validated by _validate)."""
    from pathlib import Path
    return Session(devices=devices, mode=args.mode, seeds=args.seeds, seed=args.seed, alpha=args.alpha,
                   cap=parse_duration(args.duration_cap) if args.duration_cap else None,
                   observe=comma_list(args.observe) or None,
                   args=args.script_args.split() if args.script_args else None, tolerance=_tolerance(args),
                   timeout=args.timeout, jobs=args.jobs, cache_dir=Path(args.cache_dir) if args.cache_dir else None,
                   script_for=script_for, min_effect=parse_effect(args.min_effect),
                   max_seeds=getattr(args, "max_seeds", None), required=tuple(required),
                   progress=None if args.quiet else (lambda text: print(f"  ... {text}", file=sys.stderr, flush=True)))


def _tolerance(args) -> Tolerance:
    return Tolerance(rtol=args.rtol, atol=args.atol, per=parse_tolerances(args.tol),
                     max_spike_mismatch=args.max_spike_mismatch)


def run_checks(args, devices, script_for, runner=None, required=()) -> tuple[list[CheckResult], list[dict] | None]:
    """Check every script of `args` (printing each verdict); `runner`: run_device's replacement (Dask), `required`:
    devices that must run (check/require.py). Returns the results and, when a stop (SIGINT/SIGTERM) ended the
    checks, the entries of the unchecked scripts."""
    base = session_of(args, devices, script_for, required)
    steps = (lambda r, session: print_result(r), lambda r, session: _baseline_step(args, r, session))
    results, stopped = [], None
    for script in args.scripts:
        session = base
        if getattr(args, "against", None):    # rerun the way the baseline was recorded
            session = base.recorded(script_baseline.recorded_options(args.against, script))
        kept = len(KEPT)
        try:
            results.append(check_script(session, script, runner or run_device, steps))
        except KeyboardInterrupt:     # every device process is ended by now (launch.parallel)
            stopped = interrupted_entries(args.scripts[len(results):], KEPT[kept:])
            break
    return results, stopped


def _baseline_step(args, r, session: Session) -> None:
    """--record: store the script's runs; --against: compare them with the recording (printed; the result kept on
    `r.against_passed` for the exit status)."""
    if getattr(args, "record", None) and r.runs:
        try:
            folders = script_baseline.record(r, args.record, session.options(), args.scripts, args.record_errors)
        except script_baseline.RecordRefused as exc:
            print(f"  not recorded: {exc}")
            r.notes.append(f"not recorded: {exc}")
            r.record_refused = True
            return
        print(f"  recorded {len(folders)} device(s) -> {folders[0].parent if folders else args.record}")
    elif getattr(args, "against", None):
        res = script_baseline.compare(r, args.against, session.options(), session.tolerance, session.alpha)
        script_baseline.print_against(res)
        r.against_passed = script_baseline.passed(res)
        r.notes.append(f"against {args.against}: {res.verdict}: {res.reason}")


def _checks(args, required) -> tuple[list[CheckResult], list[dict] | None]:
    """run_checks here, or with each device's runs as Dask tasks (--scheduler)."""
    import contextlib
    args.scripts = expand_scripts(args.scripts)
    devices, script_for = _validate(args)
    parse_effect(args.min_effect)
    if getattr(args, "fresh_processes", False):     # read by check/servers.py here, in a local Dask cluster's workers
        os.environ[FRESH_VAR] = "1"
    if getattr(args, "scheduler", None) is None:
        return run_checks(args, devices, script_for, None, required)
    from brian2_harness.check.cluster import DaskRunner
    from brian2_harness.run.cluster import connect, workers_like_here
    with contextlib.ExitStack() as stack:
        client = stack.enter_context(connect(args.scheduler))
        return run_checks(args, devices, script_for, DaskRunner(client, workers_like_here(client)), required)


def say_interrupted(results: list, stopped: list[dict], scripts: list[str], json_out: str | None) -> None:
    kept = stopped[0]["kept"]
    print(f"brian2-harness: interrupted: {len(results)} of {len(scripts)} script(s) checked"
          + (f"; kept (logs of the stopped runs): {', '.join(kept)}" if kept else "")
          + (f"; partial results in {json_out}" if json_out else ""), file=sys.stderr)


def exit_code(results: list[CheckResult], stopped=None) -> int:
    """0 when every script agrees, else 1 (also when nothing was compared: skipped or only built; or stopped)."""
    if stopped:
        return 1
    return 0 if all(r.verdict in (AGREE, AGREE_STAT) for r in results) else 1


def interrupted_entries(scripts: list[str], kept: list[str]) -> list[dict]:
    """Document entries of the scripts a stop left unchecked: the one that was running names the folders it kept."""
    return [dict(script=s, verdict="interrupted", status="interrupted", label="interrupted",
                 reason="stopped (SIGINT/SIGTERM) while its devices ran" if k == 0 else "not started: stopped before",
                 kept=list(kept) if k == 0 else [], devices={}) for k, s in enumerate(scripts)]


def _required(args) -> list[str]:
    devices, required = comma_list(args.devices), comma_list(args.require)
    for d in required:
        if d not in devices:
            raise UsageError(f"--require: device '{d}' is not among --devices ({', '.join(devices)})")
    return required


def _config(args, required) -> dict:
    return {"devices": comma_list(args.devices), "require": required, "mode": args.mode, "seeds": args.seeds,
            "seed": args.seed, "alpha": args.alpha, "duration_cap": args.duration_cap,
            "observe": comma_list(args.observe), "rtol": args.rtol, "atol": args.atol, "tol": list(args.tol),
            "max_spike_mismatch": args.max_spike_mismatch, "script_for": list(args.script_for),
            "scheduler": getattr(args, "scheduler", None), "min_effect": args.min_effect}


def cmd_check(args) -> int:
    """Check the scripts, then write the check document (JSON) and what reports/ renders from it."""
    required = _required(args)     # output paths: checked by cli/outputs.py before any command starts
    results, stopped = _checks(args, required)
    tolerance = _tolerance(args)
    env = environment()
    env["compiler"] = env.get("gcc")
    others = {d: versions_of(d) for d in comma_list(args.devices) if release_of(d) is not None}
    if others:                     # NAME@RELEASE devices: the versions of the interpreter that ran each
        env["releases"] = others
    doc = check_document(results, environment=env, config=_config(args, required), tolerance=tolerance,
                         interrupted=stopped)
    write_outputs(doc, json_out=args.json_out, junit_out=args.junit, report_dir=args.report,
                  markdown_out=args.markdown, after="; the verdicts above are the results")
    if stopped:
        say_interrupted(results, stopped, args.scripts, args.json_out)
    if doc["required_missing"]:
        print(f"required device(s) did not run: {', '.join(doc['required_missing'])}")
        return EXIT_FAIL
    if any(getattr(r, "record_refused", False) for r in results):
        return EXIT_FAIL
    if getattr(args, "against", None) and not stopped:   # the question is whether the results changed
        return 0 if results and all(getattr(r, "against_passed", False) for r in results) else 1
    return exit_code(results, stopped)


COMMANDS = {"check": cmd_check}
