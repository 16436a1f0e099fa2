"""Why cells regressed: a cause shared by a device's variants, or the private Brian API, only on evidence.

Blaming the private API because a variant that uses it regressed is a guess: when every variant of a device
errors the same way (brian2 2.5.4 next to Cython 3: "ImportError: Cython is not available" on every cython cell),
the cause is the device's environment, whatever the variants use. So, per device:

* a **shared cause** is an error (class and message, with paths and numbers masked) that every newly erroring
  cell of the device has, on at least two variants, including one without private API or all the device's
  variants: it is named once (`comparison["causes"]`) and cells with it say so;
* the **private API** is blamed for a regressed cell of a variant that uses it only when its probe says it is no
  longer honoured, or when the device's variants *without* private API ran and none of them regressed;
* otherwise the cause is left open and the note says why (no variant without private API on the device to
  tell, or variants without it regressed too).
"""
from __future__ import annotations

import re

REGRESSED = ("changed beyond tolerance", "newly failing", "newly erroring", "no longer available")
NEW_ERROR = "newly erroring"
UNREGRESSED = ("identical", "within tolerance")

_ERROR = re.compile(r"\b([A-Za-z_][\w.]*(?:Error|Exception|Exit|Interrupt|Warning))\b:?\s*([^\n]*)")
_PATH = re.compile(r"(?:[A-Za-z]:)?(?:/[\w.+~@-]+){2,}/?")
_CMD = re.compile(r"Command '\[\s*'([^']+)'[^\]]*\]'")      # a compiler command line: its program only
_HEX = re.compile(r"\b0x[0-9a-fA-F]+\b")
_NUM = re.compile(r"\b\d+(?:\.\d+)*(?:e[+-]?\d+)?\b")


# Known device-level errors and what they mean (shown with the shared cause).
HINTS = (
    ("Cython is not available", "an environment problem: Brian2 could not import the Cython it needs (brian2 "
                                "< 2.8 imports Cython.Utils.get_cython_cache_dir, which Cython 3.1 moved: install "
                                "'cython<3.1' next to it)"),
    ("has no attribute 'ptp'", "numpy 2.x removed ndarray.ptp, which this Brian2 uses: pin numpy below 2"),
)


def hint(key: str) -> str:
    return next((h for pattern, h in HINTS if pattern in key), "")


def error_key(text: str) -> str:
    """The error class and message of a cell's error text, paths and numbers masked ('' if none is found)."""
    if not text:
        return ""
    m = _ERROR.search(text)
    line = f"{m.group(1)}: {m.group(2)}" if m else text.strip().splitlines()[0] if text.strip() else ""
    line = _CMD.sub(lambda m: f"Command '{m.group(1)} ...'", line)
    line = _NUM.sub("#", _HEX.sub("0x#", _PATH.sub("<path>", line)))
    return line.strip()[:200]


def _error_text(change) -> str:
    return change.detail


def shared_causes(changes) -> list[dict]:
    """Per device: the error every newly erroring cell shares, when it spans variants (see module docstring)."""
    out = []
    devices = sorted({c.device for c in changes})
    for device in devices:
        cells = [c for c in changes if c.device == device]
        erroring = [c for c in cells if c.status == NEW_ERROR]
        if not erroring:
            continue
        keys = {error_key(_error_text(c)) for c in erroring}
        if len(keys) != 1 or "" in keys:
            continue
        variants = sorted({c.variant for c in erroring})
        all_variants = sorted({c.variant for c in cells})
        without_private = [v for v in variants if not next(c for c in erroring if c.variant == v).private_api]
        if len(variants) < 2 or not (without_private or variants == all_variants):
            continue
        key = keys.pop()
        example = _error_text(erroring[0]).strip().splitlines()
        out.append({"device": device, "error": key, "example": example[0][:300] if example else "",
                    "variants": variants, "cells": len(erroring), "all_variants": variants == all_variants,
                    "private_api_variants": sorted(set(variants) - set(without_private)), "hint": hint(key)})
    return out


def attribute(changes, probe: dict | None = None) -> list[dict]:
    """Sets `cause` and `private_blamed` on every regressed cell (and prefixes the note of cells whose cause is
    the private API); returns the shared causes. `probe`: the private-API probe of the new environment."""
    probe = probe or {}
    shared = {s["device"]: s for s in shared_causes(changes)}
    by_device: dict[str, list] = {}
    for c in changes:
        by_device.setdefault(c.device, []).append(c)
    for device, cells in by_device.items():
        # evidence from the variants without private API: cells that ran in both versions and kept their values,
        # or regressed; a skipped cell (netop_reference on a standalone device) is no evidence either way
        others = [c for c in cells if not c.private_api and c.status in UNREGRESSED]
        others_regressed = [c for c in cells if not c.private_api and c.status in REGRESSED]
        s = shared.get(device)
        for c in cells:
            if c.status not in REGRESSED:
                continue
            if s and c.status == NEW_ERROR and error_key(_error_text(c)) == s["error"]:
                c.cause = (f"shared by {'all ' if s['all_variants'] else ''}{len(s['variants'])} variants on "
                           f"{device}: {s['error']}")
                continue
            if not c.private_api:
                continue
            attrs = ", ".join(c.private_api)
            broken = [a for a in c.private_api if (probe.get(a) or {}).get("honoured") is False]
            if broken:
                c.private_blamed = True
                c.cause = f"private Brian API {', '.join(broken)} no longer honoured (probe)"
            elif others and not others_regressed:
                c.private_blamed = True
                c.cause = (f"private Brian API {attrs} suspected: only variants using it regress on {device}; "
                           f"the {len({o.variant for o in others})} without it do not (probe: honoured)")
            elif others_regressed:
                c.cause = (f"not the private API: variants without it regress on {device} too "
                           f"(probe: {_probe_word(probe, c.private_api)})")
            else:
                c.cause = (f"undetermined: uses private Brian API {attrs} (probe: {_probe_word(probe, c.private_api)}),"
                           f" no variant without it ran on {device} to tell")
            if c.private_blamed:
                c.detail = f"relies on private Brian API {attrs}: {c.detail}"
    return list(shared.values())


def _probe_word(probe: dict, attrs) -> str:
    words = {True: "honoured", False: "NOT honoured", None: "not probed"}
    return ", ".join(f"{a} {words[(probe.get(a) or {}).get('honoured')]}" for a in attrs)
