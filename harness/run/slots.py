"""OpenMP jobs on a shared machine: a core-slot scheduler and slow-job warnings (why: devices/openmp.py).

* `execute` gives every job slots of a budget of max(cores, --jobs): an OpenMP job whose threads spin
  (OMP_WAIT_POLICY other than passive) takes `threads` slots, any other job one, so the harness itself never
  runs more spinning threads plus other workers than there are cores (slots are granted first come, first
  served: a waiting OpenMP job is not starved). Passive threads sleep at barriers and hold no core: such a
  job takes one slot and runs next to another job (measured: a passive OpenMP binary next to one busy process
  ran 0.42 s against 2.62 s alone — a barrier wake-up is slower from an idle core);
* `slow_jobs` flags an OpenMP job whose run took far longer than the same variant's cpp_standalone job
  of the same dtype and batch (the symptom when something outside the harness oversubscribes the cores).

The wait policy itself is a device fact (devices/openmp.py); this module schedules jobs with it.
"""
from __future__ import annotations

import contextlib
import threading

from brian2_harness.devices import all_devices, get_device, threaded_devices
from brian2_harness.devices.openmp import WAIT_POLICY_VAR, cores, spinning, wait_policy

SLOW_FACTOR = 5.0          # a job this many times slower than its cpp_standalone peer is flagged ...
SLOW_MIN_EXCESS_S = 5.0    # ... if it also lost at least this many seconds: a tiny network pays ~40 us of barrier
                           # wake-ups per step with passive waiting (measured: 30,000 steps, 1.3-2.7 s against
                           # 0.01-0.1 s without OpenMP, unloaded), which is no stall; a stall costs minutes
SLOW_CAUSE = ("likely cause: OpenMP threads spinning at barriers on an oversubscribed machine (more runnable "
              "threads than cores, e.g. another busy process); OMP_WAIT_POLICY=passive avoids it")


class SlotBudget:
    """A counting semaphore whose requests take several slots, granted in arrival order (no starvation).

    A request for more slots than the budget holds is capped to the budget: it then runs alone.
    """

    def __init__(self, total: int):
        self.total = max(1, int(total))
        self.free = self.total
        self._cond = threading.Condition()
        self._queue: list[object] = []      # tickets of waiting requests, oldest first
        self.peak = 0                       # most slots in use at once (for tests and diagnostics)

    @contextlib.contextmanager
    def held(self, n: int):
        n = min(max(1, int(n)), self.total)
        ticket = object()
        with self._cond:
            self._queue.append(ticket)
            try:
                while self._queue[0] is not ticket or self.free < n:
                    self._cond.wait()
            finally:
                self._queue.remove(ticket)
                self._cond.notify_all()
            self.free -= n
            self.peak = max(self.peak, self.total - self.free)
        try:
            yield n
        finally:
            with self._cond:
                self.free += n
                self._cond.notify_all()


_BUDGETS: dict[int, SlotBudget] = {}
_BUDGETS_LOCK = threading.Lock()


def slot_budget(jobs: int) -> int:
    """Slots for a run with `jobs` parallel workers: the cores, or more if the user asked for more workers."""
    return max(cores(), int(jobs))


def budget(jobs: int) -> SlotBudget:
    """The process-wide budget for this size (shared by concurrent runs, e.g. a run and its re-runs)."""
    total = slot_budget(jobs)
    with _BUDGETS_LOCK:
        if total not in _BUDGETS:
            _BUDGETS[total] = SlotBudget(total)
        return _BUDGETS[total]


def threads_of(device_name: str) -> int:
    """OpenMP threads of a registered device (0: not an OpenMP device or unknown)."""
    try:
        return int(getattr(get_device(device_name), "threads", 0) or 0)
    except Exception:   # an unknown device takes one slot; plan() reports it
        return 0


def slots_for(device_name: str, environ=None) -> int:
    """Slots one job of `device_name` takes: its OpenMP threads when they spin, else one."""
    threads = threads_of(device_name)
    return threads if threads and spinning(environ) else 1


def held(device_name: str, jobs: int):
    """Context manager for one worker run of `device_name` (slots_for)."""
    return budget(jobs).held(slots_for(device_name))


def scheduling(jobs: int | None = None, environ=None) -> dict:
    """What the results JSON, `list` and `doctor` say about OpenMP scheduling on this machine."""
    n_cores = cores()
    value, source = wait_policy(environ)
    omp = {d.name: int(d.threads) for d in all_devices() if getattr(d, "threads", 0)}
    doc = {"cores": n_cores, "wait_policy": value, "wait_policy_source": source,
           "openmp_threads": omp,
           "slot_budget": "max(cores, jobs)" if jobs is None else slot_budget(jobs),
           "slots_per_job": {name: min(t if spinning(environ) else 1, n_cores if jobs is None else slot_budget(jobs))
                             for name, t in omp.items()} | {"other": 1}}
    if jobs is not None:
        doc["jobs"] = int(jobs)
    return doc


def scheduling_line(doc: dict) -> str:
    """One plain-text line for `list` / `doctor` / `run`."""
    omp = ", ".join(f"{name} {t} threads" for name, t in doc["openmp_threads"].items()) or "no OpenMP device"
    budget_text = (f"{doc['slot_budget']} slots" if isinstance(doc["slot_budget"], int)
                   else f"max(cores {doc['cores']}, --jobs) slots")
    return (f"OpenMP: {omp}; {WAIT_POLICY_VAR}={doc['wait_policy']} ({doc['wait_policy_source']}; set "
            f"{WAIT_POLICY_VAR} to choose); scheduler: an OpenMP job takes one slot per thread while its threads "
            f"spin (one when passive), other jobs one, "
            f"of {budget_text} ({doc['cores']} cores here)")


# --- slow jobs -----------------------------------------------------------------------------------------

def run_seconds(job: dict) -> tuple[float | None, str]:
    """(seconds, what was timed) of a job record: the binary's own run time when the worker measured it,
    else the whole worker process (compile and Python start-up included)."""
    timing = job.get("timing") or {}
    exec_s = timing.get("exec_s")
    if isinstance(exec_s, (int, float)) and exec_s > 0:
        return float(exec_s), "binary"
    s = job.get("seconds")
    return (float(s), "worker") if isinstance(s, (int, float)) and s > 0 else (None, "")


def slow_jobs(jobs: list[dict], reference: str | None = None, devices=None,
              factor: float = SLOW_FACTOR, min_excess: float = SLOW_MIN_EXCESS_S) -> list[dict]:
    """Jobs of `devices` (default: the OpenMP devices) that ran more than `factor` x as long as `reference` (default:
    their serial twin, devices/) on the same (variant, dtype, batch).

    `jobs` are the records of the results JSON (`variant`, `device`, `dtype`, `batch`, `seconds`, `timing`,
    `error`). Both sides are compared on the same measure: the binary's run time if both have it, else the
    worker seconds. Errored jobs are ignored. Returns one dict per flagged job, with a `message`.
    """
    def key(j, device):
        return (device, j.get("variant"), j.get("dtype"), j.get("batch"))

    reference_of = {d: reference or get_device(d).serial_twin
                    for d in (threaded_devices() if devices is None else devices)}
    refs = {key(j, j.get("device")): j for j in jobs if j.get("device") in reference_of.values() and not j.get("error")}
    out = []
    for j in jobs:
        if j.get("device") not in reference_of or j.get("error"):
            continue
        peer = refs.get(key(j, reference_of[j["device"]]))
        if peer is None:
            continue
        (s, what), (p, pwhat) = run_seconds(j), run_seconds(peer)
        if what != pwhat:                 # one side lacks the binary time: compare whole workers
            s, p, what = j.get("seconds"), peer.get("seconds"), "worker"
        if not s or not p:
            continue
        ratio = s / p
        if ratio > factor and s - p >= min_excess:
            label = f"{j['variant']} x {j['device']} x {j['dtype']} (batch {int(j.get('batch') or 0) + 1})"
            out.append({"variant": j["variant"], "device": j["device"], "dtype": j["dtype"], "batch": j.get("batch"),
                        "seconds": s, "reference_seconds": p, "ratio": ratio, "measure": what,
                        "message": f"{label}: {what} ran {s:.1f} s, {ratio:.0f}x the {peer['device']} job "
                                   f"of the same variant/dtype/batch ({p:.1f} s); {SLOW_CAUSE}"})
    return out


def print_slow_jobs(warnings: list[dict], console) -> None:
    """Warnings under the results table (plain data escaped: reasons can hold brackets)."""
    from rich.markup import escape
    for w in warnings:
        console.print(f"[bold yellow]warning[/]: slow job {escape(w['message'])}", soft_wrap=True)
