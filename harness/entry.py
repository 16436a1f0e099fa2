"""The console script's first step: for `brian2-harness check`, start the process server (check/servers.py) before
the command line's own imports, so that the server's `import brian2` (about 1 s) runs beside them instead of after
them. Only a guess from the arguments, never a decision: the command's first job takes the server over only if its
key (interpreter, device group, folder, environment) is the same, and anything else ends it (servers.start_early).
"""
from __future__ import annotations

import sys

# options after which the command starts no server of its own group, or none at all
NO_EARLY = ("--fresh-processes", "--keep-server", "--scheduler", "-h", "--help")


def _option(argv: list[str], name: str) -> str | None:
    for k, arg in enumerate(argv):
        if arg == name and k + 1 < len(argv):
            return argv[k + 1]
        if arg.startswith(name + "="):
            return arg.split("=", 1)[1]
    return None


def early_server(argv: list[str]) -> tuple[str, list[str]] | None:
    """(the first device, the scripts named) of the server `check` with these arguments will want first, or None
    (not `check`, or an option that starts no server of the first device's group)."""
    if not argv or argv[0] != "check" or any(a.split("=")[0] in NO_EARLY for a in argv):
        return None
    devices = _option(argv, "--devices")
    first = devices.split(",")[0].strip() if devices is not None else _default_device()
    if not first or "@" in first:
        return None
    return first, [a for a in argv[1:] if a.endswith(".py") and not a.startswith("-")]


def _default_device() -> str:
    from brian2_harness.devices import CHECK_DEVICES
    return CHECK_DEVICES[0]


def entry() -> int:
    guess = early_server(sys.argv[1:])
    if guess:
        try:
            from brian2_harness.check import servers
            from brian2_harness.devices import is_known
            device, scripts = guess
            if is_known(device):      # plotting: as the first job would say (no script named: as an unreadable one)
                servers.start_early(device, any(servers.plots(s) for s in scripts) if scripts else True)
        except Exception:       # noqa: BLE001  (a guess: the command starts its server as before)
            pass
    from brian2_harness.cli import entry as cli_entry
    return cli_entry()
