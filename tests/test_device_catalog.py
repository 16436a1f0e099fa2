"""The device catalog is read from several threads at once (`check` probes each device in its own thread)."""
import threading
import time
from types import SimpleNamespace

from brian2_harness.devices import catalog


def test_lazy_devices_materialize_once_under_concurrent_lookups(monkeypatch):
    made = []

    def slow_factory():
        made.append(1)
        time.sleep(0.05)                      # a second thread arrives while the first is still creating it
        return SimpleNamespace(name="slow_device")   # only its registration is under test

    monkeypatch.setattr(catalog, "_LAZY", {"slow_device": slow_factory})
    monkeypatch.setattr(catalog, "_DEVICES", dict(catalog._DEVICES))
    errors = []

    def lookup():
        try:
            catalog.all_devices()
        except Exception as exc:              # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=lookup) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == [] and made == [1] and catalog._LAZY == {} and "slow_device" in catalog._DEVICES
