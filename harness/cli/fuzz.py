"""Options of `fuzz` (Hypothesis-generated Brian2 models run across devices, shrunk to minimal scripts); the
command lives in fuzz/command.py."""
from __future__ import annotations


def add_parser(subparsers) -> None:
    p = subparsers.add_parser("fuzz", help="generate Brian2 models, run them across devices, shrink disagreements")
    p.add_argument("--devices", default="numpy,cython,cpp_standalone",
                   help="comma-separated, the first is the reference (default numpy,cython,cpp_standalone)")
    p.add_argument("--against-release", action="append", default=[], metavar="RELEASE",
                   help="also run every device under this installed Brian2 release (NAME@RELEASE), judged against "
                        "the reference of this one: what changed between the releases (repeatable)")
    p.add_argument("--release-python", action="append", default=[], metavar="RELEASE=PYTHON",
                   help="the interpreter of an environment with that brian2 and this harness (default: tox's "
                        ".tox/hist-brian2.RELEASE env)")
    p.add_argument("--budget", type=float, default=10.0, help="minutes of generating and checking (default 10)")
    p.add_argument("--seed", type=int, default=0, help="campaign seed (default 0)")
    p.add_argument("--out", help="folder for findings/, report.md, summary.json")
    p.add_argument("--resume", metavar="DIR",
                   help="continue the campaign in DIR (its devices, seed, pack size, shares; counts add up)")
    p.add_argument("--replay", metavar="DIR", help="re-check the findings saved in DIR (a campaign's --out)")
    p.add_argument("--pack", type=int, default=10, help="models per script (default 10)")
    p.add_argument("--max-models", type=int, help="stop after this many models (CI smoke campaigns)")
    p.add_argument("--features", default="", metavar="NAME=SHARE,...",
                   help="override feature shares (0 switches one off); docs/fuzzing.md lists them")
    p.add_argument("--shrink-minutes", type=float, default=5.0, help="time to shrink one finding (default 5)")
    p.add_argument("--timeout", type=float, default=600.0, help="seconds per device run (default 600)")
    p.add_argument("--cache-dir", help="build cache (default OUT/cache)")
    p.add_argument("--bench", type=int, metavar="N", help="benchmark: N models packed vs one script per model")
    p.add_argument("--bench-sample", type=int, default=3, help="models run one script each in --bench (default 3)")
    p.add_argument("--scheduler", metavar="ADDRESS", help="run each device's runs of every check (packs, bisection, "
                   "shrinking, findings, --replay, --bench) as a Dask task, as check --scheduler does: a scheduler "
                   "address (tcp://HOST:8786) or local[:N]; needs brian2-harness[cluster]")
    p.add_argument("--quiet", action="store_true", help="no progress lines")


def _fuzz(args) -> int:
    from brian2_harness.fuzz import command  # Hypothesis and the generator load only when fuzz runs
    return command.run(args)


COMMANDS = {"fuzz": _fuzz}
