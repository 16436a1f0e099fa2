"""Models -> a plain, self-contained `from brian2 import *` script (the reproducer), one model or a pack of many.

A pack puts every model's objects into one script, each named with its model's prefix (`m3_G`, `m3_mon`), so one
build per device serves all of them and every observable names its model (`m3_mon.k0`). The run() calls are the
pack's (every model of a pack shares them; a finding's script keeps them).
"""
from __future__ import annotations

import re

from .strategies import CHANGES, Model

HEADER = "from brian2 import *"
DT_LINE = "defaultclock.dt = 0.1*ms"


def prefix(k: int) -> str:
    return f"m{k}_"


def run_lines(runs: tuple, changes: list[str] = ()) -> list[str]:
    """`run(n*defaultclock.dt)` for each number of steps; an item that is a line (a dt change, store(),
    restore()) as it is; CHANGES: the models' `changes` (none: the marker is left out)."""
    out = []
    for item in runs:
        if item == CHANGES:
            out += list(changes)
        else:
            out.append(item if isinstance(item, str) else f"run({item}*defaultclock.dt)")
    return out


def script(model: Model, runs: tuple[int, ...], name_prefix: str = "") -> str:
    """The reproducer of one model: as short as the model (no prefix unless given)."""
    return "\n".join([HEADER, DT_LINE, *model.code(name_prefix),
                      *run_lines(runs, model.change_code(name_prefix))]) + "\n"


def pack(models: list[Model], runs: tuple[int, ...], indices=None) -> str:
    """One script holding every model, model k's objects prefixed `mk_` (k from `indices` when given: a part of a
    pack keeps the pack's numbering)."""
    lines, changes = [HEADER, DT_LINE], []
    for k, m in zip(indices if indices is not None else range(len(models)), models):
        lines += [f"# model {k}", *m.code(prefix(k))]
        changes += m.change_code(prefix(k))
    return "\n".join(lines + run_lines(runs, changes)) + "\n"


MODEL_OF = re.compile(r"^m(\d+)_")


def model_of(observable: str) -> int | None:
    """The model index an observable of a packed script belongs to (`m3_mon.k0` -> 3), None if none."""
    m = MODEL_OF.match(observable)
    return int(m.group(1)) if m else None


def model_lines(script_text: str) -> list[str]:
    """The lines of a script without the header, the dt line and blank/comment lines (what 'lines' counts)."""
    return [ln for ln in script_text.splitlines() if ln.strip() and not ln.lstrip().startswith("#")]
