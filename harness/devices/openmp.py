"""OpenMP binaries on a shared machine: the wait policy they run with.

An OpenMP binary's threads spin at every barrier while they wait for each other (libgomp's default). With
more runnable threads than cores (two OpenMP cells side by side, or one next to any busy process) a
spinning thread holds a core its partner needs, and every barrier costs a scheduler slice: measured on 2
cores, a 2.9 s cell took 59 s next to one busy process; with `OMP_WAIT_POLICY=passive` (threads sleep at
barriers) 4.3 s, results unchanged. So the OpenMP device runs its binary with `OMP_WAIT_POLICY=passive` unless
the user set the variable; run/slots.py schedules jobs by whether their threads spin.
"""
from __future__ import annotations

import os

WAIT_POLICY_VAR = "OMP_WAIT_POLICY"
DEFAULT_WAIT_POLICY = "passive"


def cores() -> int:
    """Cores this process may run on (affinity mask where the OS has one)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def wait_policy(environ=None) -> tuple[str, str]:
    """(value, source) of OMP_WAIT_POLICY for OpenMP binaries: the user's setting wins over the default."""
    environ = os.environ if environ is None else environ
    user = environ.get(WAIT_POLICY_VAR)
    if user:
        return user, "user environment"
    return DEFAULT_WAIT_POLICY, "harness default"


def wait_policy_note(environ=None) -> str:
    """The line a job's `workarounds` carries, so the applied policy is visible per job."""
    value, source = wait_policy(environ)
    return f"{WAIT_POLICY_VAR}={value} ({source})"


def spinning(environ=None) -> bool:
    """OpenMP threads wait actively at barriers (any OMP_WAIT_POLICY but passive: libgomp spins then)."""
    return wait_policy(environ)[0].strip().lower() != "passive"
