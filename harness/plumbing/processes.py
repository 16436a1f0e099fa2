"""Child processes that end when their run ends: each device process is started in its own session, and the
whole session (the script, its forked runs, make, the compiler, anything the script started) is ended when the
run is over or stopped.

A session, not a process group: the device process puts each run of a script into a process group of its own (to
time it out alone), and every such group stays in the device process's session. Members are found in /proc
(Linux); elsewhere the session leader's process group is signalled. A process that starts a session of its own
(setsid, a daemon) leaves ours and is not found.
"""
from __future__ import annotations

import os
import signal
import subprocess
import threading
import time

GRACE_S = 2.0          # SIGTERM first (make deletes half-written targets), SIGKILL after this

_LOCK = threading.Lock()
_LIVE: set[int] = set()    # sessions started here and not yet ended
_stopping = False


def session_members(sid: int) -> list[int]:
    """Live (not zombie) processes of session `sid`, except this process."""
    found = []
    try:
        names = os.listdir("/proc")
    except OSError:
        return []
    for name in names:
        if not name.isdigit() or int(name) == os.getpid():
            continue
        try:
            with open(f"/proc/{name}/stat", "rb") as f:
                fields = f.read().rsplit(b")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if len(fields) > 3 and fields[0] != b"Z" and int(fields[3]) == sid:
            found.append(int(name))
    return found


def _signal(pids, sid: int, sig) -> None:
    if not os.path.isdir("/proc"):
        try:
            os.killpg(sid, sig)
        except (ProcessLookupError, PermissionError):
            pass
        return
    for pid in pids:
        try:
            os.kill(pid, sig)
        except (ProcessLookupError, PermissionError):
            pass


def end_session(sid: int, grace: float = GRACE_S) -> list[int]:
    """Stop every process of session `sid` (SIGTERM, then SIGKILL after `grace` s); the pids that were found."""
    members = session_members(sid)
    if not members and os.path.isdir("/proc"):
        return []
    _signal(members, sid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline:
        if not session_members(sid):
            return members
        time.sleep(0.05)
    _signal(session_members(sid), sid, signal.SIGKILL)
    return members


def start(cmd, **kwargs) -> subprocess.Popen:
    """`subprocess.Popen` in a new session, tracked until `finish`; refused (KeyboardInterrupt) while stopping."""
    proc = subprocess.Popen(cmd, start_new_session=True, **kwargs)
    with _LOCK:
        _LIVE.add(proc.pid)
        stopping = _stopping
    if stopping:
        finish(proc)
        raise KeyboardInterrupt
    return proc


def wait(proc: subprocess.Popen, timeout: float) -> int:
    """`proc`'s exit status, waiting at most `timeout` s (subprocess.TimeoutExpired), without reaping it: until
    `finish`, its pid (the session id) cannot be given to another process."""
    if not hasattr(os, "waitid") or not hasattr(os, "WNOWAIT"):
        return proc.wait(timeout=timeout)
    deadline = time.monotonic() + timeout
    while True:
        try:
            info = os.waitid(os.P_PID, proc.pid, os.WEXITED | os.WNOWAIT | os.WNOHANG)
        except ChildProcessError:          # reaped elsewhere
            return proc.wait()
        if info is not None and info.si_pid == proc.pid:
            return -info.si_status if info.si_code in (os.CLD_KILLED, os.CLD_DUMPED) else info.si_status
        if time.monotonic() > deadline:
            raise subprocess.TimeoutExpired(proc.args, timeout)
        time.sleep(0.05)


def finish(proc: subprocess.Popen) -> list[int]:
    """End what is left of `proc`'s session (the run is over) and reap `proc`; the pids that had to be ended."""
    left = end_session(proc.pid)
    try:
        proc.wait(timeout=GRACE_S)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    with _LOCK:
        _LIVE.discard(proc.pid)
    return [p for p in left if p != proc.pid]


def track(sid: int) -> None:
    """Track session `sid` that another process started for us (a process server's run), until `untrack`; refused
    (the session ended, KeyboardInterrupt) while stopping."""
    with _LOCK:
        _LIVE.add(sid)
        stopping = _stopping
    if stopping:
        end_session(sid)
        untrack(sid)
        raise KeyboardInterrupt


def untrack(sid: int) -> None:
    with _LOCK:
        _LIVE.discard(sid)


def stop_all() -> None:
    """On SIGINT/SIGTERM: end every tracked session now (in parallel) and refuse new ones until `resume`."""
    global _stopping
    with _LOCK:
        _stopping = True
        sids = list(_LIVE)
    threads = [threading.Thread(target=end_session, args=(sid,), daemon=True) for sid in sids]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


def stopping() -> bool:
    """Whether a stop (stop_all) is under way: work that waits elsewhere (a Dask task) gives up."""
    with _LOCK:
        return _stopping


def resume() -> None:
    global _stopping
    with _LOCK:
        _stopping = False
