"""`brian2-harness list`: the variants and devices this installation knows, and how jobs are scheduled."""
from __future__ import annotations

import json
import sys

from brian2_harness import registry, variant_sources
from brian2_harness.cli.common import EXIT_OK, add_plugin_option
from brian2_harness.devices import all_devices
from brian2_harness.run import slots


def add_parser(subparsers) -> None:
    ls = subparsers.add_parser("list", help="variants and devices (with availability)")
    add_plugin_option(ls)
    ls.add_argument("--json", action="store_true", help="machine-readable output")


def cmd_list(args) -> int:
    variant_sources.load_all(args.plugin)
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


COMMANDS = {"list": cmd_list}
