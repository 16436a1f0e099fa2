"""The script-facing patches of the sandbox: what the script asks of matplotlib and of Brian's device choice is
answered by the harness.

* plotting: `matplotlib.use`, `plt.show` and `plt.pause` become no-ops (the backend is Agg);
* the script's own `set_device` is ignored (noted; a standalone device is re-activated, as after a
  `device.reinit()`), and so are its `prefs.codegen.target` and, on a standalone device, its OpenMP thread count.
"""
from __future__ import annotations

import sys

from . import probe


def plotting() -> None:
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return
    matplotlib.use = lambda *a, **k: None
    plt.show = lambda *a, **k: None
    plt.pause = lambda *a, **k: None


def set_device(sandbox, brian2):
    """Replace Brian's set_device for the script; returns the real one (the harness activates its device with it)."""
    devmod = sys.modules["brian2.devices.device"]
    real_set_device = devmod.set_device

    def script_set_device(device, build_on_run=True, **kwargs):
        name = probe.attr(device, "name", device)      # whatever the script passed (probe.py)
        if "standalone" in str(name):
            sandbox.script_standalone = str(name)
        sandbox.note(f"the script's set_device({name!r}) was ignored: device {sandbox.device} was chosen "
                     f"before the script ran")
        if sandbox.standalone:    # re-activates the device (needed after a device.reinit())
            real_set_device(sandbox.spec.brian_name, build_on_run=False, directory=sandbox.project_dir())
    for mod in (brian2, devmod, sys.modules["brian2.devices"]):
        mod.set_device = script_set_device
    return real_set_device


def fixed_prefs(sandbox) -> None:
    """Once the sandbox is installed, the script's writes to the device's preferences are ignored (noted)."""
    from brian2.core.preferences import BrianGlobalPreferences
    fixed = {"codegen.target"} | ({"devices.cpp_standalone.openmp_threads"} if sandbox.standalone else set())
    original_setitem = BrianGlobalPreferences.__setitem__

    def setitem(prefs, name, value):
        if name in fixed and getattr(sandbox, "_installed", False):
            sandbox.note(f"the script's prefs.{name} = {value!r} was ignored (device {sandbox.device})")
            return
        original_setitem(prefs, name, value)
    BrianGlobalPreferences.__setitem__ = setitem
