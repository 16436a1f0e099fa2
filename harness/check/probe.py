"""Looking at objects the harness did not make (a script's module globals, everything `gc` holds) without being
hurt by them.

`getattr(obj, name, default)` and `hasattr` catch only AttributeError; `isinstance` can run a `__class__`
property. Objects in a script's namespace may raise anything from these: on brian2 2.5.4, 2.6.0 and 2.7.1
`getattr(prefs, "name", None)` raises KeyError (`from brian2 import *` puts `prefs` in every such script), a lazy
proxy may raise whatever its target does, a weakref proxy ReferenceError. Every probe of such an object goes
through one of these functions, which treat any Exception as "not there". Brian-free; no imports.
"""
from __future__ import annotations


def attr(obj, name: str, default=None):
    """`getattr(obj, name, default)`, with `default` for any exception the lookup raises."""
    try:
        return getattr(obj, name, default)
    except Exception:       # noqa: BLE001  (KeyError from Brian's prefs, ReferenceError, a proxy's own errors)
        return default


def has(obj, name: str) -> bool:
    """`hasattr(obj, name)`; False when the lookup raises anything."""
    try:
        return hasattr(obj, name)
    except Exception:       # noqa: BLE001
        return False


def instance(obj, types) -> bool:
    """`isinstance(obj, types)`; False when it raises (a `__class__` that raises, a dead weakref proxy)."""
    try:
        return isinstance(obj, types)
    except Exception:       # noqa: BLE001
        return False


def module_of(obj) -> str:
    """The module that defines the object's type ('' when that cannot be read)."""
    try:
        module = type(obj).__module__
    except Exception:       # noqa: BLE001
        return ""
    return module if isinstance(module, str) else ""
