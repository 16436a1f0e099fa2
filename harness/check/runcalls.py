"""The sandbox's `Network.run`: every `run()` call of the script goes through here.

With a cap, a call runs at most `cap` seconds (counted in `capped`); a standalone `run()` after the project was
built raises `RunAfterBuild`; the script's globals are remembered at its first call (`namespace`, `before_run`);
a noise-floor run (`perturb`) adds its nudging operation (floor.py); every call is counted with the network time it
reached (also in the script's worker processes).
"""
from __future__ import annotations

import sys

from . import compat, floor, probe
from .standalone import RunAfterBuild, network_time


def install(sandbox, brian2) -> None:
    from brian2.core.network import Network
    original = Network.run
    signature = compat.run_signature(original)

    def run(self, *args, **kwargs):
        bound = signature.bind(self, *args, **kwargs)
        bound.apply_defaults()
        duration = bound.arguments["duration"]
        if sandbox.cap is not None and float(duration) > sandbox.cap:
            sandbox.capped += 1
            bound.arguments["duration"] = sandbox.cap * brian2.second
        from brian2 import get_device
        dev = get_device()
        if sandbox.standalone and getattr(dev, "_b2h_built", False):
            raise RunAfterBuild("C++ standalone runs every run() of a project in one build; this script calls "
                                "run() after reading results (or after device.build()), which Brian's "
                                "standalone mode cannot do without device.reinit()")
        bound.arguments["level"] = bound.arguments.get("level", 0) + 1
        if sandbox.standalone:
            dev._b2h_runs = getattr(dev, "_b2h_runs", 0) + 1
        _remember_globals(sandbox)
        if sandbox.perturb and not sandbox.standalone:
            if sandbox.nudger is None:
                sandbox.nudger = floor.Nudger(list(self.objects), sandbox.perturb)
                sandbox.perturbed = sandbox.nudger.names
            self.objects.add(sandbox.nudger.operation())
        sandbox.in_run += 1      # Brian reads values during a run and expects NotImplementedError
        try:
            result = original(*bound.args, **bound.kwargs)
        finally:
            sandbox.in_run -= 1
        sandbox.count_run(network_time(self, dev))
        return result
    Network.run = run


def _remember_globals(sandbox) -> None:
    """At the first run() call: the script's module globals (names bound later are its results).

    The values themselves are held, not their id(): a value rebound after the run (``step /= 2`` makes a new
    Quantity) frees the old one, and CPython gives its address to a later object, so an id could match again and hide
    the result on one device only. Brian's named objects are left out (holding a deleted group would rename the
    next one); they are never results."""
    main = getattr(sys.modules.get("__main__"), "__dict__", None)
    if main is not None and main.get("__file__") and not sandbox.run_calls:
        from brian2.core.names import Nameable
        sandbox.namespace = main
        sandbox.before_run = {k: v for k, v in main.items() if not probe.instance(v, Nameable)}
