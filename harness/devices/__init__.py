"""Devices: how to make Brian2 run generated code on one backend. They know nothing about models.

`probe()` runs in the parent and says whether (and in which mode) a device can be used here;
`activate()` runs inside the isolated worker process before any Brian object is created.
"""
from brian2_harness.devices.base import BUILD, RUN, UNAVAILABLE, Device, Probe
from brian2_harness.devices.catalog import (
    CHECK_DEVICES,
    CPU_DEVICES,
    REFERENCE_DEVICE,
    STANDALONE_DEVICE,
    all_devices,
    get_device,
    gpu_device,
    is_known,
    openmp_device,
    register_device,
    runtime_devices,
    server_group_members,
    threaded_devices,
)

__all__ = ["BUILD", "CHECK_DEVICES", "CPU_DEVICES", "REFERENCE_DEVICE", "RUN", "STANDALONE_DEVICE", "UNAVAILABLE",
           "Device", "Probe", "all_devices", "get_device", "gpu_device", "is_known", "openmp_device",
           "register_device", "runtime_devices", "server_group_members", "threaded_devices"]
