"""Check documents built without Brian: observables as check/collect.py stores them, judged by check/exact.py and
turned into the versioned document by check/document.py, exactly as `check --json` does after its runs."""
import numpy as np

from brian2_harness.check import exact
from brian2_harness.check.document import check_document
from brian2_harness.check.script import BUILT, OK, DeviceRun, SeedRun
from brian2_harness.check.verdict import AGREE, FAIL, REFERENCE, CheckResult, DeviceVerdict, _finish

DT, T_END = 1e-4, 0.02


def observables(shift_at: float | None = None, extra_spike: bool = False) -> dict:
    """A 3-neuron membrane trace and spikes; `shift_at` adds 1 mV to neuron 1 from that time on."""
    t = np.arange(0, T_END, DT)
    v = np.vstack([-0.07 + 0.01 * np.sin(2 * np.pi * (k + 1) * 50 * t) for k in range(3)])
    if shift_at is not None:
        v[1, t >= shift_at] += 1e-3
    i, ts = np.array([0, 1, 2, 1]), np.array([0.002, 0.005, 0.009, 0.015])
    if extra_spike:
        i, ts = np.append(i, 2), np.append(ts, 0.012)
    return {"statemonitor.v": {"kind": "state", "dt": DT, "unit": "V", "N": None,
                               "arrays": {"t": t, "values": v, "indices": np.arange(3)}},
            "spikemonitor": {"kind": "spikes", "dt": DT, "unit": "s", "N": 3, "arrays": {"i": i, "t": ts}}}


def _run(device: str, obs: dict, status: str = OK, reason: str = "") -> DeviceRun:
    meta = {"t_end": T_END, "timers": {}, "notes": [], "random_sources": []}
    return DeviceRun(device, status, reason, [SeedRun(0, status, reason, obs, meta)], seconds=1.5)


def check_result(script: str = "/models/my_model.py", *, differ: bool = False, built: str | None = None,
                 extra_spike: bool = False) -> CheckResult:
    """numpy (reference) and cpp_standalone: agreeing (a rounding-sized difference) or differing from t = 5 ms;
    `built` adds that device as built-only."""
    tol = exact.Tolerance()
    ref = observables()
    mine = observables(shift_at=0.005 if differ else None, extra_spike=extra_spike)
    mine["statemonitor.v"]["arrays"]["values"] = mine["statemonitor.v"]["arrays"]["values"] * (1 + 1e-15)
    res = exact.compare_runs(mine, ref, tol, T_END)
    runs = {"numpy": _run("numpy", ref), "cpp_standalone": _run("cpp_standalone", mine)}
    devices = {"numpy": DeviceVerdict("numpy", REFERENCE, "1 run(s)"),
               "cpp_standalone": DeviceVerdict("cpp_standalone", AGREE if res.agree else FAIL, res.summary, res)}
    if built:
        runs[built] = _run(built, {}, BUILT, "built, not run: no GPU (nvidia-smi not found)")
        runs[built].runs[0].observables = {}
        devices[built] = DeviceVerdict(built, BUILT, runs[built].reason)
    result = CheckResult(script, AGREE, "", "numpy", devices, runs, "exact")
    import time
    return _finish(result, time.perf_counter() - 2.5)


def document(*results) -> dict:
    return check_document(list(results), environment={"python": "3.12", "brian2": "2.10.1", "numpy": "2.0",
                                                      "cython": "3.1", "compiler": "g++ 12.2"},
                          config={"devices": ["numpy", "cpp_standalone"], "mode": "auto"})
