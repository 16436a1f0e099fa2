"""OpenMP scheduling without Brian: wait policy, the core-slot scheduler, slow-job warnings."""
import io
import threading
import time

import pytest
from rich.console import Console

from brian2_harness.devices import get_device, openmp
from brian2_harness.devices.cpu import CppStandaloneDevice
from brian2_harness.run import slots

# --- wait policy ---------------------------------------------------------------------------------------

def test_wait_policy_defaults_to_passive_and_the_user_setting_wins():
    assert openmp.wait_policy({}) == ("passive", "harness default")
    assert openmp.wait_policy({"OMP_WAIT_POLICY": "active"}) == ("active", "user environment")
    assert openmp.wait_policy_note({}) == "OMP_WAIT_POLICY=passive (harness default)"


def test_openmp_device_sets_the_policy_in_brians_run_environment(monkeypatch):
    """activate() puts OMP_WAIT_POLICY into the environment Brian runs the binary with (not for threads=0)."""
    pytest.importorskip("brian2")
    from brian2 import prefs
    monkeypatch.delenv("OMP_WAIT_POLICY", raising=False)
    monkeypatch.setenv("BRIAN2_HARNESS_PCH", "0")
    monkeypatch.setattr("brian2.set_device", lambda *a, **k: None)
    saved = dict(prefs.devices.cpp_standalone.run_environment_variables)
    try:
        omp = CppStandaloneDevice("omp_test", 2)
        monkeypatch.setattr("brian2.get_device", lambda: type("D", (), {"clocks": set()})())
        omp.activate("/nonexistent", "/nonexistent")
        assert prefs.devices.cpp_standalone.run_environment_variables["OMP_WAIT_POLICY"] == "passive"
        assert omp.applied == ["OMP_WAIT_POLICY=passive (harness default)"]
        monkeypatch.setenv("OMP_WAIT_POLICY", "active")
        omp.activate("/nonexistent", "/nonexistent")
        assert prefs.devices.cpp_standalone.run_environment_variables["OMP_WAIT_POLICY"] == "active"
        assert omp.applied == ["OMP_WAIT_POLICY=active (user environment)"]
        prefs.devices.cpp_standalone.run_environment_variables = dict(saved)
        plain = CppStandaloneDevice("plain_test", 0)
        plain.activate("/nonexistent", "/nonexistent")
        assert "OMP_WAIT_POLICY" not in prefs.devices.cpp_standalone.run_environment_variables
        assert plain.applied == []
    finally:
        prefs.devices.cpp_standalone.run_environment_variables = saved


# --- slot scheduler ------------------------------------------------------------------------------------

def _simulate(budget, requests, hold=0.02):
    """Run one thread per request (slots wanted); record slots in use and the start order."""
    in_use, peak, order = [0], [0], []
    lock = threading.Lock()

    def work(k, n):
        with budget.held(n) as got:
            with lock:
                in_use[0] += got
                peak[0] = max(peak[0], in_use[0])
                order.append(k)
            time.sleep(hold)
            with lock:
                in_use[0] -= got

    threads = []
    for k, n in enumerate(requests):
        t = threading.Thread(target=work, args=(k, n))
        t.start()
        threads.append(t)
        time.sleep(0.002)            # arrival order = list order
    for t in threads:
        t.join(10)
    assert not any(t.is_alive() for t in threads)
    return peak[0], order


def test_slots_never_exceed_the_budget():
    budget = slots.SlotBudget(2)
    peak, order = _simulate(budget, [2, 1, 1, 2, 1, 2, 1, 1])    # OpenMP (2 threads) mixed with plain jobs
    assert peak == 2 and budget.peak == 2 and sorted(order) == list(range(8))
    assert budget.free == 2


def test_plain_jobs_use_every_slot():
    budget = slots.SlotBudget(3)
    peak, _ = _simulate(budget, [1] * 6, hold=0.05)
    assert peak == 3


def test_slots_are_granted_first_come_first_served():
    """A waiting OpenMP job is not overtaken by later one-slot jobs (no starvation)."""
    budget = slots.SlotBudget(2)
    _, order = _simulate(budget, [1, 2, 1, 1], hold=0.05)
    assert order.index(1) < order.index(2) and order.index(1) < order.index(3)


def test_a_request_larger_than_the_budget_runs_alone():
    budget = slots.SlotBudget(1)
    with budget.held(4) as got:
        assert got == 1 and budget.free == 0
    assert budget.free == 1


def test_budget_is_max_of_cores_and_jobs(monkeypatch):
    monkeypatch.setattr(slots, "cores", lambda: 2)
    assert slots.slot_budget(1) == 2 and slots.slot_budget(2) == 2 and slots.slot_budget(6) == 6
    assert slots.threads_of("cpp_standalone_omp") == get_device("cpp_standalone_omp").threads == 2
    assert slots.threads_of("cpp_standalone") == 0 and slots.threads_of("no-such-device") == 0


def test_scheduling_document(monkeypatch):
    monkeypatch.setattr(slots, "cores", lambda: 2)
    doc = slots.scheduling(jobs=2, environ={})
    assert doc == {"cores": 2, "wait_policy": "passive", "wait_policy_source": "harness default",
                   "openmp_threads": {"cpp_standalone_omp": 2}, "slot_budget": 2, "jobs": 2,
                   "slots_per_job": {"cpp_standalone_omp": 1, "other": 1}}      # passive threads hold no core
    line = slots.scheduling_line(doc)
    assert "OMP_WAIT_POLICY=passive" in line and "cpp_standalone_omp 2 threads" in line and "of 2 slots" in line
    spin = slots.scheduling(jobs=2, environ={"OMP_WAIT_POLICY": "active"})
    assert spin["slots_per_job"] == {"cpp_standalone_omp": 2, "other": 1} and spin["wait_policy_source"] == "user environment"
    assert slots.slots_for("cpp_standalone_omp", {"OMP_WAIT_POLICY": "ACTIVE"}) == 2
    assert slots.slots_for("cpp_standalone_omp", {}) == 1 and slots.slots_for("cpp_standalone", {"OMP_WAIT_POLICY": "active"}) == 1


# --- slow jobs -----------------------------------------------------------------------------------------

def _job(device, exec_s, dtype="float64", batch=0, variant="summed_every_step", seconds=None, error=""):
    timing = {"setup_s": 0.5, "run_s": (exec_s or 0) + 8.0}
    if exec_s is not None:
        timing["exec_s"] = exec_s
    return {"variant": variant, "device": device, "dtype": dtype, "batch": batch, "error": error,
            "seconds": seconds if seconds is not None else (exec_s or 0) + 10.0, "timing": timing}


def test_slow_openmp_job_is_flagged_with_its_likely_cause():
    jobs = [_job("cpp_standalone", 2.9), _job("cpp_standalone_omp", 59.0),
            _job("cpp_standalone", 2.0, dtype="float32"), _job("cpp_standalone_omp", 4.3, dtype="float32"),
            _job("numpy", 60.0)]                         # numpy is slower by nature: never compared
    warnings = slots.slow_jobs(jobs)
    assert len(warnings) == 1
    w = warnings[0]
    assert (w["device"], w["dtype"], w["measure"]) == ("cpp_standalone_omp", "float64", "binary")
    assert w["ratio"] == pytest.approx(59.0 / 2.9)
    assert "20x the cpp_standalone job" in w["message"] and "spinning" in w["message"]
    assert "oversubscribed" in w["message"]


def test_slow_jobs_compare_only_the_same_variant_dtype_and_batch():
    jobs = [_job("cpp_standalone", 1.0, batch=0), _job("cpp_standalone_omp", 30.0, batch=1),
            _job("cpp_standalone", 1.0, variant="other"), _job("cpp_standalone_omp", 4.9)]
    assert slots.slow_jobs(jobs) == []                     # no peer for batch 1; 4.9x is not > 5x


def test_slow_jobs_ignore_errors_tiny_runs_and_fall_back_to_worker_seconds():
    assert slots.slow_jobs([_job("cpp_standalone", 1.0), _job("cpp_standalone_omp", 60.0, error="boom")]) == []
    assert slots.slow_jobs([_job("cpp_standalone", 0.01), _job("cpp_standalone_omp", 0.2)]) == []  # < 5 s lost
    # passive waiting's barrier cost on a tiny network (measured: 30,000 steps) is no stall
    assert slots.slow_jobs([_job("cpp_standalone", 0.06), _job("cpp_standalone_omp", 2.7)]) == []
    jobs = [_job("cpp_standalone", None, seconds=3.0), _job("cpp_standalone_omp", 50.0, seconds=80.0)]
    (w,) = slots.slow_jobs(jobs)                           # one side lacks the binary timer
    assert w["measure"] == "worker" and w["ratio"] == pytest.approx(80.0 / 3.0)


def test_slow_job_warning_prints_whole():
    buf = io.StringIO()
    warnings = [{"message": "summed[x] x cpp_standalone_omp x float64 (batch 1): binary ran 59.0 s, 20x [bold]"}]
    slots.print_slow_jobs(warnings, Console(file=buf, width=300))
    out = buf.getvalue()
    assert "warning: slow job summed[x] x cpp_standalone_omp" in out and "20x [bold]" in out
