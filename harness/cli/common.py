"""What every command shares: the argument parser that turns errors into usage errors, the --plugin option,
exit codes, and how --variants, --devices and --dtype are read (run and upgrade's record)."""
from __future__ import annotations

import argparse

from brian2_harness import registry, variant_sources
from brian2_harness.commalist import comma_list
from brian2_harness.devices import get_device
from brian2_harness.errors import UsageError
from brian2_harness.families import family_names
from brian2_harness.families.cases import DTYPES

EXIT_OK, EXIT_FAIL, EXIT_USAGE = 0, 1, 2


class _Parser(argparse.ArgumentParser):
    def error(self, message):
        raise UsageError(message)


def add_plugin_option(p, what: str = "variants") -> None:
    p.add_argument("--plugin", action="append", default=[], metavar="FILE.py",
                   help=f"Python file that registers {what} (repeatable)")


def resolve_variants(text: str, plugins=None) -> list[str]:
    """--variants: 'all' (every built-in), a family name (its built-ins) or comma-separated variant names; `plugins`:
    plugin files to load first (None: the caller loaded them). A UsageError when none is selected."""
    if plugins is not None:
        variant_sources.load_all(list(plugins))
    builtin = [v for v in registry.all_variants() if v.source == "builtin"]
    if text == "all":
        names = [v.name for v in builtin]
    elif text in family_names():
        names = [v.name for v in builtin if v.family == text]
    else:
        names = comma_list(text)
        for name in names:
            registry.get(name)
    if not names:
        raise UsageError("--variants: no variant selected")
    return names


def resolve_devices(text: str) -> list[str]:
    """--devices: comma-separated known devices, at least one."""
    names = comma_list(text)
    if not names:
        raise UsageError("--devices: no device selected")
    for d in names:
        get_device(d)
    return names


def check_dtypes(names: list[str]) -> list[str]:
    """Each of `names` is a dtype the harness runs (--dtype)."""
    for d in names:
        if d not in DTYPES:
            raise UsageError(f"--dtype: '{d}' is not one of {', '.join(DTYPES)}")
    return names


def resolve_dtypes(text: str) -> list[str]:
    """--dtype: comma-separated dtypes, at least one."""
    names = comma_list(text)
    if not names:
        raise UsageError("--dtype: no dtype selected")
    return check_dtypes(names)
