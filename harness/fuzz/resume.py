"""A campaign's state on disk (OUT/state.json, rewritten after every pack), so that `fuzz --resume DIR` continues
it: the next pack's number (pack p draws from the seed `seed * 10007 + p`, so the seed sequence goes on where it
stopped), the counts (models, invalid, disagreements, coverage, pack times) and the seconds spent, added across
runs. The findings are on disk already (findings/). A resumed campaign keeps its devices, seed, pack size, shares
and Brian2 release: models counted under another release or other shares would not add up."""
from __future__ import annotations

import json
import os
from collections import Counter

from ..errors import UsageError

STATE = "state.json"
FORMAT = "brian2-harness-fuzz-state/1"
KEPT = ("devices", "seed", "pack", "shares", "release")     # what a resumed campaign takes from the stored one


def save(out: str, cfg, next_pack: int, seconds: float, stats: dict) -> str:
    path = os.path.join(out, STATE)
    state = dict(format=FORMAT, next_pack=next_pack, seconds=round(seconds, 1),
                 stats=dict(stats, coverage=dict(stats["coverage"])), **{k: getattr(cfg, k) for k in KEPT})
    tmp = path + ".tmp"
    with open(tmp, "w") as fh:
        json.dump(state, fh, indent=1, default=str)
    os.replace(tmp, path)          # an interrupted write leaves the previous state, never half of one
    return path


def load(out: str, release: str) -> dict:
    """The stored state of the campaign in `out`; a usage error (one line naming --resume) when there is none or
    it was run under another Brian2 release."""
    path = os.path.join(out, STATE)
    try:
        with open(path) as fh:
            state = json.load(fh)
    except (OSError, ValueError):
        raise UsageError(f"--resume: {out!r} holds no readable {STATE} (give the --out DIR of a campaign run "
                         "with this version of fuzz)") from None
    if state.get("format") != FORMAT:
        raise UsageError(f"--resume: {path} is not a fuzz campaign state ({FORMAT})")
    if state["release"] != release:
        raise UsageError(f"--resume: the campaign in {out!r} ran on brian2 {state['release']}, this is {release} "
                         "(start a new campaign for another release)")
    state["stats"]["coverage"] = Counter(state["stats"]["coverage"])
    return state
