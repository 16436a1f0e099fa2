"""`brian2-harness fuzz`: a campaign (or `--resume DIR`: the campaign in DIR continued), `--replay DIR` (re-check
saved findings) or `--bench N` (packed vs one script per model). Options are defined in cli/fuzz.py; exit 1 when
a new Brian2-bug finding reproduces, 2 for usage errors (one line naming the option and its allowed values).
`--scheduler ADDRESS|local[:N]` runs every check's device runs as Dask tasks with `check --scheduler`'s own code
(run/cluster.py connects, check/cluster.py's DaskRunner runs); a malformed address is refused before anything runs."""
from __future__ import annotations

import contextlib
import os
import sys

from ..check.script import known_devices
from ..commalist import comma_list
from ..devices import get_device
from ..devices.releases import base_name, check_release, configure, interpreter, release_of
from ..errors import UsageError
from ..versions import installed_version
from . import bench, campaign, features, progress, replay, resume


def with_releases(devices: list[str], against: list[str], current: str) -> list[str]:
    """`--against-release X`: every device also as NAME@X (releases.py), after the devices of this release."""
    out = list(devices)
    for x in against:
        check_release(x, "--against-release")
        if x == current:
            raise UsageError(f"--against-release: {x} is the brian2 this command runs under; name another release")
        out += [f"{d}@{x}" for d in devices if release_of(d) is None and f"{d}@{x}" not in out]
    return out


def available(devices: list[str]) -> None:
    """A device under another release whose interpreter is missing is refused now, not skipped pack after pack."""
    for d in devices:
        if release_of(d) is not None:
            python, why = interpreter(d)
            if python is None:
                raise UsageError(f"--devices/--against-release: {d}: {why}")


@contextlib.contextmanager
def dask_runner(scheduler: str | None):
    """None without --scheduler (check runs each device here), else check's Dask runner on the connected cluster
    (the same connect and worker choice as `check --scheduler`: workers whose versions are this process's)."""
    if scheduler is None:
        yield None
        return
    from ..check.cluster import DaskRunner
    from ..run.cluster import connect, workers_like_here
    with connect(scheduler) as client:
        yield DaskRunner(client, workers_like_here(client))


def _status(run) -> str:
    s = run.stats
    return f"{s['models']} models, {len(run.found)} finding(s), {s['invalid']} invalid"


def runtime_beside_reference(devices: list[str]) -> bool:
    """Whether a device other than the reference can run store()/restore() (standalone devices refuse it)."""
    return any(not get_device(base_name(d)).standalone for d in devices[1:])


def run(args) -> int:
    configure(getattr(args, "release_python", []) or [])
    release = installed_version("brian2") or "?"
    devices = with_releases(comma_list(args.devices), getattr(args, "against_release", []) or [], release)
    campaign.validate(devices, known_devices(), args.budget, args.pack)
    scheduler = getattr(args, "scheduler", None)
    if scheduler is not None:                 # before anything runs: "" or a malformed address is refused
        from ..run.cluster import parse_scheduler
        parse_scheduler(scheduler)
    shares = features.shares(args.features)
    say = (lambda text: None) if args.quiet else (lambda text: print(text, flush=True))
    if shares.get("store_restore", 0.0) > 0 and not runtime_beside_reference(devices):
        shares["store_restore"] = 0.0      # its packs would be compared on no device
        say("fuzz: store_restore off: every device but the reference is a standalone device, which refuses "
            "store()/restore()")
    if args.replay:
        if not os.path.isdir(os.path.join(args.replay, "findings")):
            raise UsageError(f"--replay: {args.replay!r} holds no findings/ folder (give a campaign's --out DIR)")
        with dask_runner(scheduler) as runner:
            return replay.replay(args.replay, release, timeout=args.timeout, cache_dir=args.cache_dir, say=say,
                                 runner=runner)
    state = None
    if args.resume:
        state = resume.load(args.resume, release)
        args.out = args.resume
        devices, shares, args.seed, args.pack = state["devices"], state["shares"], state["seed"], state["pack"]
    available(devices)
    if not args.out:
        raise UsageError("--out: a folder for the findings and the report is required (or --replay DIR, "
                         "--resume DIR)")
    with dask_runner(scheduler) as runner:
        if args.bench:
            bench.run(args.bench, devices, shares, args.seed, args.out, sample=args.bench_sample,
                      timeout=args.timeout, cache_dir=args.cache_dir, say=print, runner=runner)
            return 0
        cfg = campaign.Config(devices=devices, budget_s=args.budget * 60, seed=args.seed, out=args.out,
                              pack=args.pack, max_models=args.max_models, shares=shares,
                              shrink_s=args.shrink_minutes * 60, timeout=args.timeout, cache_dir=args.cache_dir,
                              release=release, runner=runner, scheduler=scheduler)
        os.makedirs(args.out, exist_ok=True)
        run = campaign.Campaign(cfg, say, state)
        if progress.wanted(args.quiet):
            with progress.bar(cfg.budget_s, lambda: _status(run), run.elapsed) as run.say:
                summary = run.run()
        else:
            summary = run.run()
    s = summary["stats"]
    print(f"fuzz: {s['models']} models ({summary['models_per_minute']:g}/min), {s['invalid']} invalid, "
          f"{len(summary['findings'])} finding(s), {len(summary['new'])} new; report: "
          f"{os.path.join(args.out, 'report.md')}", file=sys.stdout)
    return campaign.exit_code(summary)
