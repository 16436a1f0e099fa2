"""Devices: how to make Brian2 run generated code on one backend. They know nothing about models.

`probe()` runs in the parent and says whether (and in which mode) a device can be used here;
`activate()` runs inside the isolated worker process before any Brian object is created.
"""
from brian2_harness.devices.base import BUILD, RUN, UNAVAILABLE, Device, Probe
from brian2_harness.devices.catalog import CPU_DEVICES, all_devices, get_device, register_device

__all__ = ["BUILD", "CPU_DEVICES", "RUN", "UNAVAILABLE", "Device", "Probe", "all_devices", "get_device",
           "register_device"]
