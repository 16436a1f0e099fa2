"""What the sandbox observes while the script builds its network: every monitor it creates (kept alive to be read
at the end) and every code object that draws random numbers (`random_sources`, also from the script's worker
processes).
"""
from __future__ import annotations

import os
import re


def monitors(sandbox) -> None:
    """Keep every StateMonitor, EventMonitor (SpikeMonitor) and PopulationRateMonitor the script creates."""
    from brian2.monitors.ratemonitor import PopulationRateMonitor
    from brian2.monitors.spikemonitor import EventMonitor
    from brian2.monitors.statemonitor import StateMonitor
    for cls in (StateMonitor, EventMonitor, PopulationRateMonitor):
        original = cls.__dict__["__init__"]

        def init(self, *args, __original=original, **kwargs):
            __original(self, *args, **kwargs)
            if all(m is not self for m in sandbox.monitors):
                sandbox.monitors.append(self)
        cls.__init__ = init


def random_detection(sandbox) -> None:
    """Note every code object that draws random numbers, where Brian creates it (`draws_random`)."""
    from brian2.devices.cpp_standalone.device import CPPStandaloneDevice
    from brian2.devices.device import Device
    classes = [Device, CPPStandaloneDevice]
    if sandbox.standalone and sandbox.spec.own_code_object:    # its own code_object (brian2cuda)
        classes.append(sandbox.spec.brian_device_class())
    for cls in classes:
        original = cls.__dict__["code_object"]

        def code_object(self, owner, name, abstract_code, variables, template_name, *args,
                        __original=original, **kwargs):
            why = draws_random(abstract_code, variables, template_name, kwargs.get("template_kwds"))
            if why:
                sandbox.random_sources.add(f"{getattr(owner, 'name', owner)}: {why}")
                if os.getpid() != sandbox.pid and sandbox.counter_path:   # a worker process of the script
                    with open(sandbox.counter_path + ".random", "a") as f:
                        f.write(f"{getattr(owner, 'name', owner)}: {why}\n")
            return __original(self, owner, name, abstract_code, variables, template_name, *args, **kwargs)
        cls.code_object = code_object


def draws_random(abstract_code, variables, template_name, template_kwds) -> str:
    """Why a code object draws random numbers ("" if it does not): its abstract code calls a random Function
    (rand, randn, poisson, binomial: Brian marks them stateless=False), or `connect` samples randomly."""
    from brian2.core.functions import Function
    texts = abstract_code.values() if isinstance(abstract_code, dict) else [abstract_code]
    text = "\n".join(str(t) for t in texts if t) + "\n" + "\n".join(
        str(v) for v in (template_kwds or {}).values() if isinstance(v, str))
    names = sorted(n for n, v in (variables or {}).items()
                   if isinstance(v, Function) and getattr(v, "stateless", True) is False
                   and re.search(rf"\b{re.escape(n)}\s*\(", text))
    if names:
        return f"{', '.join(names)} in {template_name}"
    if template_name == "synapses_create_generator" and (template_kwds or {}).get("iterator_func") == "sample":
        return "random sampling in connect()"
    return ""
