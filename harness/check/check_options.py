"""The options of a check, validated one way wherever they come from: the command line (`check --devices ...`) and
a recorded baseline (`check --against DIR` reruns with the options stored in DIR). A bad value is one
`UsageError` naming the field (`--seeds`, or `baseline DIR/model/numpy/record.json: options.seeds`) and the allowed
values; the CLI exits 2 with it before anything runs."""
from __future__ import annotations

from brian2_harness.devices import is_known
from brian2_harness.errors import UsageError

from .script import known_devices

MODES = ("auto", "exact", "stat")
MAX_SEEDS = 10_000          # seeds per device in statistical mode (each is a run of the script)
MAX_SEED = 2**32 - 1


def _int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def devices(value, field: str = "--devices") -> list[str]:
    if not isinstance(value, list) or not all(isinstance(d, str) for d in value):
        raise UsageError(f"{field}: expected a list of device names, got {value!r:.60}")
    if len(value) < 2:
        raise UsageError(f"{field}: name at least two devices to compare")
    for d in value:
        if not is_known(d):
            raise UsageError(f"{field}: unknown device '{d}' (known: {', '.join(known_devices())}; each also as "
                             f"NAME@RELEASE, e.g. numpy@2.9.0: that device under another installed Brian2 release)")
    return value


def seeds(value, field: str = "--seeds") -> int:
    if not _int(value) or not 2 <= value <= MAX_SEEDS:
        raise UsageError(f"{field} must be an integer from 2 to {MAX_SEEDS}, got {value!r:.40}")
    return value


def seed(value, field: str = "--seed") -> int:
    if not _int(value) or not 0 <= value <= MAX_SEED:
        raise UsageError(f"{field} must be an integer from 0 to {MAX_SEED}, got {value!r:.40}")
    return value


def alpha(value, field: str = "--alpha") -> float:
    if not isinstance(value, (int, float)) or isinstance(value, bool) or not 0 < value < 1:
        raise UsageError(f"{field} must be in (0, 1), got {value!r:.40}")
    return value


def mode(value, field: str = "--mode") -> str:
    if value not in MODES:
        raise UsageError(f"{field} must be one of {', '.join(MODES)}, got {value!r:.40}")
    return value


def _optional_list(value, field: str) -> None:
    if value is not None and (not isinstance(value, list) or not all(isinstance(x, str) for x in value)):
        raise UsageError(f"{field} must be a list of strings or null, got {value!r:.60}")


def recorded(options: dict, where: str) -> dict:
    """The options of a baseline (`where`: its record file), validated like the command line's."""
    if not isinstance(options, dict):
        raise UsageError(f"{where}: 'options' must be an object")
    f = f"{where}: options."
    devices(options.get("devices"), f + "devices")
    mode(options.get("mode"), f + "mode")
    seeds(options.get("seeds"), f + "seeds")
    seed(options.get("seed"), f + "seed")
    alpha(options.get("alpha"), f + "alpha")
    cap = options.get("cap")
    if cap is not None and (not isinstance(cap, (int, float)) or isinstance(cap, bool) or not 0 < cap < 1e6):
        raise UsageError(f"{f}cap must be a duration in seconds (> 0) or null, got {cap!r:.40}")
    _optional_list(options.get("observe"), f + "observe")
    _optional_list(options.get("args"), f + "args")
    ref = options.get("reference")
    if ref is not None and ref not in options["devices"]:
        raise UsageError(f"{f}reference must be one of the devices ({', '.join(options['devices'])}) or null, got "
                         f"{ref!r:.40}")
    return options
