"""Devices by name (like Brian's own device registry): the CPU devices and cuda_standalone, created on first use."""
from __future__ import annotations

import threading

from brian2_harness.devices.base import Device
from brian2_harness.devices.cpu import CppStandaloneDevice, CythonDevice, NumpyDevice
from brian2_harness.devices.releases import RELEASE_PATTERN, base_name, split
from brian2_harness.errors import UsageError

_DEVICES: dict[str, Device] = {}


def register_device(device: Device) -> None:
    _DEVICES[device.name] = device


for _d in (NumpyDevice(), CythonDevice(), CppStandaloneDevice("cpp_standalone", 0),
           CppStandaloneDevice("cpp_standalone_omp", 2)):
    register_device(_d)


def _cuda_device() -> Device:
    # devices/cuda.py uses the standard library only; brian2cuda is imported in its activate() (worker).
    from brian2_harness.devices.cuda import CudaStandaloneDevice
    return CudaStandaloneDevice()


_LAZY = {"cuda_standalone": _cuda_device}
_LAZY_LOCK = threading.Lock()     # `check` probes its devices from one thread each: the first use may be concurrent


def _materialize() -> None:
    with _LAZY_LOCK:
        while _LAZY:
            name, factory = next(iter(_LAZY.items()))
            register_device(factory())
            del _LAZY[name]


def get_device(name: str) -> Device:
    """The device of a catalog name. `check` and `fuzz` also take `name@X` (the device under another Brian2
    release, releases.py): they ask for `base_name(name)`; every other command refuses a release here."""
    _materialize()
    if name not in _DEVICES:
        raise UsageError(f"unknown device '{name}'; known devices: {', '.join(_DEVICES)}")
    return _DEVICES[name]


def is_known(name: str) -> bool:
    """A catalog device, or one under another release (`numpy@2.9.0`; whether that release is installed is its
    probe's question)."""
    _materialize()
    base, release = split(name)
    return base in _DEVICES and (release is None or bool(RELEASE_PATTERN.match(release)))


def all_devices() -> list[Device]:
    _materialize()
    return list(_DEVICES.values())


CPU_DEVICES = ("numpy", "cython", "cpp_standalone", "cpp_standalone_omp")
REFERENCE_DEVICE = "numpy"         # the device every other one is compared with (run's reference, check's default)
CHECK_DEVICES = ("numpy", "cython", "cpp_standalone")      # `check`'s default devices (shown in its help)
STANDALONE_DEVICE = "cpp_standalone"      # the serial C++ standalone device: `bench`'s default device


def openmp_device() -> str:
    """The CPU device that runs its binary with OpenMP threads (`bench` measures it under load)."""
    return threaded_devices()[0]


def gpu_device() -> str:
    """The device that runs on a GPU (`bench` sizes its batches for it)."""
    return next(d.name for d in all_devices() if d.gpu)


def server_group_members(device: str) -> list[str]:
    """The devices that share `device`'s process server (Device.server_group), in catalog order."""
    group = get_device(base_name(device)).server_group
    return [d.name for d in all_devices() if d.server_group == group]


def runtime_devices() -> tuple[str, ...]:
    """The runtime (not standalone) devices: where Python code such as a network_operation runs during a run."""
    return tuple(d.name for d in all_devices() if not d.standalone)


def threaded_devices() -> list[str]:
    """The devices whose binaries run OpenMP threads, which spin at barriers on a loaded machine (run/slots.py)."""
    return [d.name for d in all_devices() if d.threads]
