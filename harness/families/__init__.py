"""Model families by name: the built-ins (growth, metaplastic, custom), installed packages' entry points
(group `brian2_harness.families`, each naming a `Family` instance or a module that calls `register_family`)
and plugin files that call `register_family`."""
from __future__ import annotations

import importlib.metadata

from brian2_harness.errors import UsageError
from brian2_harness.families import custom, growth, metaplastic
from brian2_harness.families.base import Family

ENTRY_POINT_GROUP = "brian2_harness.families"
_FAMILIES: dict[str, Family] = {}
_loaded = False


def register_family(family: Family) -> Family:
    if not isinstance(family, Family) or not family.name or not family.name.isidentifier():
        raise UsageError(f"register_family needs a Family with an identifier name, got {family!r}")
    old = _FAMILIES.get(family.name)
    if old is not None and type(old) is not type(family):
        raise UsageError(f"family '{family.name}' is registered twice ({type(old).__name__}, {type(family).__name__})")
    _FAMILIES[family.name] = family
    return family


def _load() -> None:
    global _loaded
    if _loaded:
        return
    _loaded = True
    for builtin in (growth, metaplastic, custom):
        register_family(builtin.FAMILY)
    try:
        eps = importlib.metadata.entry_points(group=ENTRY_POINT_GROUP)
    except Exception:  # a broken installation must not hide the built-ins
        eps = ()
    for ep in eps:
        try:
            obj = ep.load()
        except Exception as exc:
            raise UsageError(f"family entry point '{ep.name}' failed to load: {type(exc).__name__}: {exc}") from exc
        if isinstance(obj, Family):
            register_family(obj)


def get_family(name: str) -> Family:
    _load()
    try:
        return _FAMILIES[name]
    except KeyError:
        raise UsageError(f"unknown family '{name}'; known: {', '.join(sorted(_FAMILIES))}") from None


def default_family() -> Family:
    """The family of case-file entries that no family claims and of variants registered without a family: the
    first that says so (`Family.case_file_default`)."""
    for family in all_families():
        if family.case_file_default:
            return family
    raise UsageError("no family is the default for case files (Family.case_file_default); name the family")


def all_semantics() -> list[str]:
    """Every oracle semantics some family knows (`run --against` picks one)."""
    return sorted({s for family in all_families() for s in family.semantics})


def all_families() -> list[Family]:
    _load()
    return list(_FAMILIES.values())


def family_names() -> list[str]:
    _load()
    return list(_FAMILIES)
