"""Variants: declarative descriptions of a model and a registry of them by name.

A variant says what it is (family, claimed semantics, supported devices) and how to build its Brian
objects from a `GrowthNetwork`. It never looks at which device it runs on: devices are chosen by the harness.
Where variants come from (built-ins, entry points, plugin files) is variant_sources.py.
"""
from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from typing import Any, Callable

from brian2_harness.errors import UsageError
from brian2_harness.families import default_family, family_names, get_family


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


def register(name: str, family: str | None = None, build: Callable | None = None, *, semantics: str | None = None,
             devices: tuple[str, ...] | list[str] | None = None, description: str = "",
             source: str | None = None, private_api: tuple[str, ...] | list[str] = ()) -> Variant:
    """Add a variant to the registry (`family` None: the default family, `families.default_family`). Raises
    `UsageError` on a duplicate name or an invalid declaration."""
    v = Variant(name=name, family=family or default_family().name, build=build, semantics=semantics,
                devices=tuple(devices) if devices is not None else None, description=description,
                source=source or _current_source or "builtin", private_api=tuple(private_api))
    _check(v)
    if name in _REGISTRY:
        raise UsageError(f"variant '{name}' is registered twice ({_REGISTRY[name].source} and {v.source})")
    _REGISTRY[name] = v
    return v


def variant(name: str, family: str | None = None, **kwargs) -> Callable:
    """Decorator form of `register` for a build function."""
    def deco(fn):
        register(name, family, fn, **kwargs)
        return fn
    return deco


_current_source: str | None = None


@contextlib.contextmanager
def registering_from(source: str):
    """Variants registered inside this block name `source` (a plugin file, an entry point) as their origin."""
    global _current_source
    outer, _current_source = _current_source, source
    try:
        yield
    finally:
        _current_source = outer


def get(name: str) -> Variant:
    if name not in _REGISTRY:
        raise UsageError(f"unknown variant '{name}'; known variants: {', '.join(sorted(_REGISTRY)) or '(none)'}")
    return _REGISTRY[name]


def all_variants() -> list[Variant]:
    return list(_REGISTRY.values())
