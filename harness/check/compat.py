"""What differs between the Brian2 releases the sandbox runs with (2.5.4 ... 2.11.0): one adapter per difference.

* `Network.run`'s signature: before 2.10 `Network.run` is wrapped twice (`device_override`, then `check_units`) in
  `(*args, **kwds)` functions; the original is reached through `__wrapped__` / `_orig_func`
  (`run_signature`).
* The C++ standalone random generators: Brian >= 2.8 keeps `brian::_random_generators` (objects with `.seed()`),
  older releases `brian::_mersenne_twister_states` (`rk_state*` seeded with `rk_seed`, drawn with `rk_double` /
  `rk_gauss`) (`reseed_code`, `draw_call`).

Feature detection, not version numbers: each adapter looks at what the installed Brian2 has.
"""
from __future__ import annotations

import inspect
import os

RUN_PARAMETERS = ("self", "duration", "report", "report_period", "namespace", "profile", "level")

# reseed every generator of the binary from an environment variable (one compiled binary serves every seed)
_RESEED = ("{ const char* _b2h_s = std::getenv(\"%(var)s\"); if (_b2h_s) { unsigned long _b2h_v = "
           "std::strtoul(_b2h_s, NULL, 10); for (size_t _i = 0; _i < brian::%(states)s.size(); _i++) %(seed)s; } }")
MODERN_SEED = "brian::_random_generators[_i].seed(_b2h_v + _i)"             # Brian >= 2.8
LEGACY_SEED = "rk_seed(_b2h_v + _i, brian::_mersenne_twister_states[_i])"   # Brian 2.5 ... 2.7


def run_signature(run) -> inspect.Signature:
    """The signature of the function behind `Network.run` (its wrappers followed), with a `duration` parameter."""
    seen = []
    func = run
    while func is not None and all(func is not f for f in seen) and len(seen) < 8:
        seen.append(func)
        try:
            signature = inspect.signature(func, follow_wrapped=False)
        except (TypeError, ValueError):
            signature = None
        if signature is not None and "duration" in signature.parameters:
            return signature
        func = getattr(func, "__wrapped__", None) or getattr(func, "_orig_func", None)
    raise TypeError(f"cannot find Network.run's parameters behind {run!r} (looked at {len(seen)} wrapper(s)); "
                    f"expected {', '.join(RUN_PARAMETERS)}")


def generator_states(objects_template: str) -> str:
    """Which vector of generators a C++ standalone project declares, from the text of Brian's objects.cpp
    template: '_random_generators' (Brian >= 2.8) or '_mersenne_twister_states' (older)."""
    if "_random_generators" in objects_template:
        return "_random_generators"
    if "_mersenne_twister_states" in objects_template:
        return "_mersenne_twister_states"
    raise ValueError("Brian's objects.cpp declares neither _random_generators nor _mersenne_twister_states")


def reseed_code(var: str, states: str) -> str:
    """C++ that reseeds every generator (of kind `states`) from the environment variable `var`, if set."""
    seed = MODERN_SEED if states == "_random_generators" else LEGACY_SEED
    return _RESEED % {"var": var, "states": states, "seed": seed}


def draw_call(function: str, thread: str, states: str) -> str:
    """The C++ expression that draws one `rand` or `randn` value from the generator of `thread`."""
    if function not in ("rand", "randn"):
        raise ValueError(f"no C++ generator call for {function!r} (rand or randn)")
    if states == "_random_generators":
        return f"brian::_random_generators[{thread}].{function}()"
    return f"{'rk_double' if function == 'rand' else 'rk_gauss'}(brian::_mersenne_twister_states[{thread}])"


def installed_generator_states() -> str:
    """`generator_states` of the installed Brian2."""
    import brian2.devices.cpp_standalone as cpp
    path = os.path.join(os.path.dirname(cpp.__file__), "templates", "objects.cpp")
    with open(path) as f:
        return generator_states(f.read())
