"""The sandbox activates the chosen device (devices/ catalog) before the script runs.

A runtime device sets `prefs.codegen.target` (cython: the harness's compiled-code cache) and refuses `device.run()`;
a standalone device gets its OpenMP threads and wait policy (devices/openmp.py), a bounded `make -j`
(devices/makefile.py), cuda_standalone the toolchain's workarounds (devices/cuda_toolchain.py), the build control of
standalone.py, and cpp_standalone the precompiled-header Makefile (devices/pch.py).
"""
from __future__ import annotations

import os

from brian2_harness.devices import makefile, openmp, pch

from . import standalone


def device(sandbox, brian2, real_set_device) -> None:
    prefs = brian2.prefs
    if not sandbox.standalone:
        from brian2.devices.device import RuntimeDevice

        def standalone_only(self, *args, **kwargs):
            raise NotImplementedError("device.run() (re-running a built standalone project, e.g. with run_args) "
                                      "exists only for standalone devices")
        RuntimeDevice.run = standalone_only
        sandbox.spec.runtime_prefs(prefs, sandbox.cython_dir)
    elif sandbox.standalone:
        standalone_prefs(sandbox, prefs)
        standalone.install(sandbox, sandbox.spec.brian_device_class())
        real_set_device(sandbox.spec.brian_name, build_on_run=False, directory=sandbox.build_dir)
        if sandbox.spec.precompiled_headers:
            from brian2 import get_device
            makefile.attach(get_device(), pch.start(os.path.dirname(sandbox.cython_dir), sandbox.spec.threads))
    else:
        raise NotImplementedError(f"brian2-harness check has no device named {sandbox.device!r}")


def standalone_prefs(sandbox, prefs) -> None:
    """OpenMP threads and their wait policy (devices/openmp.py); make -j <cores> instead of Brian's unbounded -j
    (devices/makefile.py; the script may set its own); the device's own preparation (cuda_standalone: the
    toolchain's workarounds)."""
    prefs.devices.cpp_standalone.openmp_threads = sandbox.spec.threads
    makefile.bounded_make_args(prefs, openmp.cores())
    if sandbox.spec.threads:
        env = dict(prefs.devices.cpp_standalone.run_environment_variables)
        env[openmp.WAIT_POLICY_VAR] = openmp.wait_policy()[0]
        prefs.devices.cpp_standalone.run_environment_variables = env
        sandbox.note(openmp.wait_policy_note())
    for line in sandbox.spec.prepare_standalone(prefs, os.path.dirname(sandbox.cython_dir), sandbox.build_only):
        sandbox.note(line)
