"""Variants: declarative descriptions of a model and a registry of them by name.

A variant says what it is (family, claimed semantics, supported devices) and how to build its Brian
objects from a `GrowthNetwork`. It never looks at which device it runs on: devices are chosen by the harness.
"""
from __future__ import annotations

import contextlib
import importlib.metadata
import importlib.util
import os
import signal
import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from brian2_harness.errors import UsageError

ENTRY_POINT_GROUP = "brian2_harness.variants"


@dataclass
class Model:
    """What a build function returns.

    growth family: `synapses` is the Synapses object whose `w` the harness records around each event.
    custom family: `observe()` returns named arrays after the run; devices are compared with each other.
    """

    objects: list
    synapses: Any = None
    observe: Callable[[], dict] | None = None


@dataclass(frozen=True)
class Variant:
    name: str
    family: str
    build: Callable[..., Model]
    semantics: str | None = None            # oracle schedule it claims; None: device against device
    devices: tuple[str, ...] | None = None  # None: every device
    description: str = ""
    source: str = field(default="builtin", compare=False)
    # private Brian attributes the build function relies on (e.g. "_clock"): a Brian upgrade may break them
    # without notice; `compare` flags these variants' cells (see baseline.py)
    private_api: tuple[str, ...] = ()

    def supports(self, device: str) -> bool:
        return self.devices is None or device in self.devices


_REGISTRY: dict[str, Variant] = {}


def _check(v: Variant) -> None:
    if not isinstance(v.name, str) or not v.name.isidentifier():
        raise UsageError(f"variant name must be an identifier, got {v.name!r}")
    from brian2_harness.families import family_names, get_family
    if v.family not in family_names():
        raise UsageError(f"variant '{v.name}': family must be one of {', '.join(family_names())}, got {v.family!r}")
    if not callable(v.build):
        raise UsageError(f"variant '{v.name}': build must be a function returning a Model, got {v.build!r}")
    allowed = get_family(v.family).semantics
    if not allowed and v.semantics is not None:
        raise UsageError(f"variant '{v.name}': {v.family} variants have no oracle; leave semantics=None")
    if v.semantics is not None and v.semantics not in allowed:
        raise UsageError(f"variant '{v.name}': semantics must be one of {', '.join(allowed)} or None, "
                         f"got {v.semantics!r}")


def register(name: str, family: str = "growth", build: Callable | None = None, *, semantics: str | None = None,
             devices: tuple[str, ...] | list[str] | None = None, description: str = "",
             source: str | None = None, private_api: tuple[str, ...] | list[str] = ()) -> Variant:
    """Add a variant to the registry. Raises `UsageError` on a duplicate name or an invalid declaration."""
    v = Variant(name=name, family=family, build=build, semantics=semantics,
                devices=tuple(devices) if devices is not None else None, description=description,
                source=source or _current_source or "builtin", private_api=tuple(private_api))
    _check(v)
    if name in _REGISTRY:
        raise UsageError(f"variant '{name}' is registered twice ({_REGISTRY[name].source} and {v.source})")
    _REGISTRY[name] = v
    return v


def variant(name: str, family: str = "growth", **kwargs) -> Callable:
    """Decorator form of `register` for a build function."""
    def deco(fn):
        register(name, family, fn, **kwargs)
        return fn
    return deco


_current_source: str | None = None
_loaded_builtin = False


def load_builtin() -> None:
    global _loaded_builtin, _current_source
    if not _loaded_builtin:
        _loaded_builtin = True
        _current_source = "builtin"
        try:
            importlib.import_module("brian2_harness.models")
        finally:
            _current_source = None


def load_plugin_file(path: str | Path) -> None:
    """Import a user's Python file that calls `register` / `@variant`."""
    global _current_source
    p = Path(path)
    if not p.is_file():
        raise UsageError(f"plugin file '{path}' does not exist")
    mod_name = f"brian2_harness_plugin_{abs(hash(str(p.resolve())))}"
    if mod_name in sys.modules:
        return
    spec = importlib.util.spec_from_file_location(mod_name, p)
    module = importlib.util.module_from_spec(spec)
    _current_source = f"plugin {p}"
    limit = plugin_timeout()
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
        raise UsageError(f"plugin file '{path}' did not finish importing within {limit:g} s (a plugin should only "
                         f"register variants; raise the limit with {TIMEOUT_VAR}=SECONDS)") from None
    except BaseException as exc:  # any error in the user's file is a usage error, named
        sys.modules.pop(mod_name, None)
        raise UsageError(f"plugin file '{path}' raised on import: {type(exc).__name__}: {exc}") from exc
    finally:
        _current_source = None


TIMEOUT_VAR = "BRIAN2_HARNESS_PLUGIN_TIMEOUT"
DEFAULT_PLUGIN_TIMEOUT = 60.0


class ImportTimeout(BaseException):
    """A plugin file's import ran past its time limit (BaseException: the plugin's own `except Exception` must not
    swallow it)."""


def plugin_timeout() -> float:
    text = os.environ.get(TIMEOUT_VAR, "")
    try:
        value = float(text) if text else DEFAULT_PLUGIN_TIMEOUT
    except ValueError:
        raise UsageError(f"{TIMEOUT_VAR} must be a number of seconds, got {text!r}") from None
    return value


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
    global _current_source
    for ep in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP):
        _current_source = f"entry point {ep.name}"
        try:
            ep.load()
        except UsageError:
            raise
        except Exception as exc:
            raise UsageError(f"entry point '{ep.name}' ({ep.value}) raised on import: "
                             f"{type(exc).__name__}: {exc}") from exc
        finally:
            _current_source = None


def load_all(plugins: list[str] | tuple[str, ...] = ()) -> None:
    load_builtin()
    load_entry_points()
    for p in plugins:
        load_plugin_file(p)


def get(name: str) -> Variant:
    if name not in _REGISTRY:
        raise UsageError(f"unknown variant '{name}'; known variants: {', '.join(sorted(_REGISTRY)) or '(none)'}")
    return _REGISTRY[name]


def all_variants() -> list[Variant]:
    return list(_REGISTRY.values())
