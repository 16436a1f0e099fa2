"""How each device pair is judged: exactly where both draw the same random numbers, with the reference's noise
floor where rounding is amplified, statistically where the streams differ.

Per device pair (reference, device), from the single runs at one seed:

| random numbers in generated code | streams (streams.py) | exact comparison | judged |
|---|---|---|---|
| none | - | agrees | exact: agree |
| none | - | differs | noise floor (floor.py): within `FACTOR` x an amplified floor -> agree; else fail |
| drawn | same | agrees | exact: agree |
| drawn | same | differs | noise floor: not amplified -> fail; amplified -> statistical |
| drawn | different | - | statistical |

`--mode exact` judges every pair exactly (a pair on different streams fails, and the reason says so);
`--mode stat` judges every pair statistically.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from ..verdicts import AGREE, FAIL
from . import floor as noise
from . import streams

EXACT, FLOOR, STAT = "exact", "exact+floor", "stat"


@dataclass
class Pair:
    """How one device is judged against the reference, and why."""
    device: str
    mode: str                        # exact | exact+floor | stat
    why: str                         # the evidence: streams, floor
    same_stream: bool | None = None
    fingerprint: str = ""
    outcome: str = ""                # agree | fail | '' (stat: decided by the statistical tests)
    detail: str = ""
    floor: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        return {"mode": self.mode, "why": self.why, "same_stream": self.same_stream,
                "stream_fingerprint": self.fingerprint, "outcome": self.outcome, "detail": self.detail,
                "noise_floor": self.floor}


def first_pass(device: str, ref: str, exact_result, ref_meta: dict, dev_meta: dict, random: bool,
               mode: str) -> Pair:
    """The judgement that needs no further run: exact agreement, a different stream, or 'needs the floor'."""
    fp = streams.fingerprint(dev_meta.get("stream"))
    if random:
        same, why = streams.same_stream(ref_meta.get("stream"), dev_meta.get("stream"), ref, device)
    else:
        same, why = True, "no random numbers drawn in generated code: one run per device is comparable"
    if mode == "exact":
        outcome = AGREE if exact_result.agree else FAIL
        detail = exact_result.summary if same or exact_result.agree else (
            f"{exact_result.summary}; {why}: a run-by-run comparison cannot apply (--mode auto judges this pair "
            "statistically)")
        return Pair(device, EXACT, why, same, fp, outcome, detail)
    if not same:
        return Pair(device, STAT, why, same, fp)
    if exact_result.agree:
        return Pair(device, EXACT, why, same, fp, AGREE, exact_result.summary)
    return Pair(device, FLOOR, why, same, fp, "", exact_result.summary)     # outcome after the floor run


def with_floor(pair: Pair, exact_result, floor: noise.Floor | None, random: bool) -> Pair:
    """Decide a same-stream pair whose exact comparison failed, from the reference's noise floor."""
    if floor is None:
        pair.mode, pair.outcome = EXACT, FAIL
        pair.detail = exact_result.summary + "; no noise floor measured (the reference cannot be perturbed)"
        return pair
    outcome, reason, data = noise.judge(exact_result, floor)
    pair.floor = data
    if outcome == FAIL:
        pair.outcome, pair.detail = FAIL, reason
    elif random:
        pair.mode = STAT
        pair.why += ("; but the model amplifies rounding (" + reason + "), so single runs cannot tell a model "
                     "difference: judged statistically")
    else:
        pair.outcome, pair.detail = AGREE, "agrees within the noise floor: " + reason
    return pair
