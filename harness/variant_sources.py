"""Where variants come from: the built-in models (package `brian2_harness.models`), installed packages' entry
points (group `brian2_harness.variants`) and users' plugin files. Each registers into registry.py; this module
sits above both the registry and the models, so that neither imports the other's loader."""
from __future__ import annotations

import contextlib
import importlib.metadata
import importlib.util
import os
import signal
import sys
import threading
from pathlib import Path

from brian2_harness.errors import UsageError
from brian2_harness.registry import registering_from

ENTRY_POINT_GROUP = "brian2_harness.variants"
_loaded_builtin = False


def load_builtin() -> None:
    global _loaded_builtin
    if not _loaded_builtin:
        _loaded_builtin = True
        with registering_from("builtin"):
            importlib.import_module("brian2_harness.models")   # here, not at the top: inside registering_from


def load_plugin_file(path: str | Path) -> None:
    """Import a user's Python file that calls `register` / `@variant`."""
    p = Path(path)
    if not p.is_file():
        raise UsageError(f"plugin file '{path}' does not exist")
    mod_name = f"brian2_harness_plugin_{abs(hash(str(p.resolve())))}"
    if mod_name in sys.modules:
        return
    spec = importlib.util.spec_from_file_location(mod_name, p)
    module = importlib.util.module_from_spec(spec)
    limit = plugin_timeout()
    with registering_from(f"plugin {p}"):
        try:
            sys.modules[mod_name] = module
            with time_limit(limit):
                spec.loader.exec_module(module)
        except UsageError:
            raise
        except KeyboardInterrupt:     # Ctrl-C / SIGTERM is the user's stop, not the plugin's fault
            sys.modules.pop(mod_name, None)
            raise
        except ImportTimeout:
            sys.modules.pop(mod_name, None)
            raise UsageError(f"plugin file '{path}' did not finish importing within {limit:g} s (a plugin should "
                             f"only register variants; raise the limit with {TIMEOUT_VAR}=SECONDS)") from None
        except BaseException as exc:  # any error in the user's file is a usage error, named
            sys.modules.pop(mod_name, None)
            raise UsageError(f"plugin file '{path}' raised on import: {type(exc).__name__}: {exc}") from exc


TIMEOUT_VAR = "BRIAN2_HARNESS_PLUGIN_TIMEOUT"
DEFAULT_PLUGIN_TIMEOUT = 60.0


class ImportTimeout(BaseException):
    """A plugin file's import ran past its time limit (BaseException: the plugin's own `except Exception` must not
    swallow it)."""


def plugin_timeout() -> float:
    """Seconds a plugin file may take to import (BRIAN2_HARNESS_PLUGIN_TIMEOUT; 0 or less: no limit)."""
    text = os.environ.get(TIMEOUT_VAR, "")
    try:
        return float(text) if text else DEFAULT_PLUGIN_TIMEOUT
    except ValueError:
        raise UsageError(f"{TIMEOUT_VAR} must be a number of seconds, got {text!r}") from None


@contextlib.contextmanager
def time_limit(seconds: float):
    """Raise ImportTimeout in the body after `seconds` (main thread with SIGALRM only; 0 or less: no limit)."""
    if seconds <= 0 or threading.current_thread() is not threading.main_thread() or not hasattr(signal, "setitimer"):
        yield
        return

    def expire(signum, frame):
        raise ImportTimeout
    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def load_entry_points() -> None:
    for ep in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP):
        with registering_from(f"entry point {ep.name}"):
            try:
                ep.load()
            except UsageError:
                raise
            except Exception as exc:
                raise UsageError(f"entry point '{ep.name}' ({ep.value}) raised on import: "
                                 f"{type(exc).__name__}: {exc}") from exc


def load_all(plugins: list[str] | tuple[str, ...] = ()) -> None:
    load_builtin()
    load_entry_points()
    for p in plugins:
        load_plugin_file(p)
