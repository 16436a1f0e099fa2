"""Long-lived worker processes: Python start-up and the Brian import paid once per process, not once per job.

A worker (`python -m brian2_harness.run.worker --serve`) runs one job at a time and resets Brian in between
(`Device.reset`). Isolation is kept where it matters: a worker whose job errored, crashed or timed out is never
reused (the next job gets a fresh process); devices with `reusable_process = False` (cuda) get one process per
job; a worker only serves jobs with the same plugins (files and their mtimes) and the same environment it was
started with. Workers of the process-wide pool outlive one `execute` (a test session reuses them) and are closed
at exit. `BRIAN2_HARNESS_FRESH_WORKERS=1` (or `RunConfig.reuse_workers=False`) restores one process per job.
"""
from __future__ import annotations

import atexit
import hashlib
import os
import selectors
import subprocess
import sys
import threading
import time

FRESH_ENV = "BRIAN2_HARNESS_FRESH_WORKERS"


# Variables that change while nothing that matters does (pytest names the running test in the environment): a
# worker started under another value serves the job all the same.
VOLATILE_ENV = ("PYTEST_CURRENT_TEST",)


def _fingerprint(plugins, env: dict) -> str:
    """What a worker was started with: plugin files (path, mtime, size) and the environment (but VOLATILE_ENV)."""
    h = hashlib.sha256()
    for p in plugins:
        h.update(str(p).encode())
        try:
            st = os.stat(p)
            h.update(f"{st.st_mtime_ns}:{st.st_size}".encode())
        except OSError:
            pass
    for k in sorted(set(env) - set(VOLATILE_ENV)):
        h.update(f"{k}={env[k]}\0".encode())
    return h.hexdigest()


class Worker:
    def __init__(self, cmd: list[str], env: dict, key: str):
        self.key, self.last_device = key, ""
        self.started = time.perf_counter()
        self.proc = subprocess.Popen(cmd + ["--serve"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.DEVNULL, start_new_session=True, env=env)
        self.jobs = 0

    def submit(self, job_file: str, timeout: float) -> int | None:
        """Run one job; its exit status (0 ok, else error), None on timeout. A dead worker: -signal / exit code."""
        self.jobs += 1
        try:
            self.proc.stdin.write((job_file + "\n").encode())
            self.proc.stdin.flush()
        except (BrokenPipeError, OSError):
            return self._exit_code()
        sel = selectors.DefaultSelector()
        sel.register(self.proc.stdout, selectors.EVENT_READ)
        deadline = time.monotonic() + timeout
        buf = b""
        try:
            while not buf.endswith(b"\n"):
                left = deadline - time.monotonic()
                if left <= 0 or not sel.select(timeout=left):
                    return None
                chunk = os.read(self.proc.stdout.fileno(), 256)
                if not chunk:
                    return self._exit_code()
                buf += chunk
        finally:
            sel.close()
        try:
            return int(buf.split()[-1])
        except (ValueError, IndexError):
            return self._exit_code()

    def _exit_code(self) -> int:
        rc = self.proc.wait()
        return rc if rc != 0 else 1

    def alive(self) -> bool:
        return self.proc.poll() is None

    def close(self) -> None:
        try:
            self.proc.stdin.close()
            self.proc.wait(timeout=10)
        except (OSError, subprocess.TimeoutExpired):
            self.kill()

    def kill(self) -> None:
        try:
            os.killpg(self.proc.pid, 9)
        except (ProcessLookupError, PermissionError):
            self.proc.kill()
        self.proc.wait()


class Pool:
    """Idle workers by fingerprint; at most `max_idle` kept (the oldest closed first)."""

    def __init__(self, max_idle: int = 4):
        self.max_idle = max_idle
        self._idle: list[Worker] = []
        self._busy: set[Worker] = set()
        self._lock = threading.Lock()
        self.started = 0          # processes started (for `bench` and the results JSON)

    def acquire(self, cmd: list[str], env: dict, plugins, device: str, fresh: bool = False) -> Worker:
        """An idle worker started with the same plugins and environment, else a new one (always new if `fresh`)."""
        key = _fingerprint(plugins, env)
        with self._lock:
            mine = [w for w in self._idle if w.key == key and w.alive()] if not fresh else []
            pick = next((w for w in mine if w.last_device == device), mine[0] if mine else None)
            if pick is not None:
                self._idle.remove(pick)
        if pick is None:
            pick = Worker(cmd, env, key)
            with self._lock:
                self.started += 1
        pick.last_device = device
        with self._lock:
            self._busy.add(pick)
        return pick

    def release(self, worker: Worker, reusable: bool) -> None:
        with self._lock:
            self._busy.discard(worker)
        if not (reusable and worker.alive()):
            worker.kill() if worker.alive() else None
            return
        with self._lock:
            self._idle.append(worker)
            extra = self._idle[:-self.max_idle] if len(self._idle) > self.max_idle else []
            self._idle = self._idle[len(extra):]
        for w in extra:
            w.close()

    def kill_busy(self) -> None:
        with self._lock:
            busy = list(self._busy)
        for w in busy:
            w.kill()

    def close(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, []
        for w in idle:
            w.close()


POOL = Pool()
atexit.register(POOL.close)


def reuse_enabled(config_flag: bool = True) -> bool:
    return config_flag and os.environ.get(FRESH_ENV, "") in ("", "0")


def worker_cmd() -> list[str]:
    return [sys.executable, "-m", "brian2_harness.run.worker"]
