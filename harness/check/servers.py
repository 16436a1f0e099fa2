"""Process servers for `check`'s device calls: `run_device` sends a job to a server (forkserver.py) that has imported
Brian2 once, instead of starting a fresh interpreter that pays `import brian2` (about 3 s) at every call.

One server per (server group of devices, Python executable, environment, working folder), started at the first
call that needs it and reused by every later call of this process: the device calls of one `check` invocation
(numpy, cython and cpp_standalone share one server: one import, not three), the tests of a pytest process (the
plugin), the tasks of one `--scheduler` worker. Each job runs in a forked child that is a session of
its own, tracked like a fresh device process (processes.track): a stop (SIGINT/SIGTERM, processes.stop_all) ends
it and the servers (also sessions started by processes.start); a server whose client exits, even killed, sees the
end of its stdin and ends its jobs. Servers are closed when this process exits.

The fresh interpreter stays: where fork is unavailable (no os.fork / os.waitid), when the environment variable
FRESH_VAR is set (`check --fresh-processes`, the plugin's `--brian2-fresh-processes`), and for a call whose server
could not start.
"""
from __future__ import annotations

import atexit
import contextlib
import json
import os
import queue
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time

from brian2_harness.devices import server_group_members
from brian2_harness.devices.releases import python_for
from brian2_harness.plumbing import processes
from brian2_harness.plumbing.cachedirs import default_cache_dir

from . import keep

FRESH_VAR = "BRIAN2_HARNESS_FRESH_PROCESSES"
START_TIMEOUT_S = 300.0
VOLATILE = ("TMPDIR", "TEMP", "TMP", "PYTEST_CURRENT_TEST")   # change per job or test: not a server's identity
MAX_SERVERS = 6          # the least recently used idle one is closed beyond this (each holds ~150 MB)


class ServerGone(RuntimeError):
    """The server could not start, or ended (stopped, crashed) before the job did (`started`: the job had
    started)."""

    def __init__(self, text: str, started: bool = False):
        super().__init__(text)
        self.started = started


def fresh_requested() -> bool:
    return os.environ.get(FRESH_VAR, "").strip().lower() not in ("", "0", "no", "false")


def available() -> bool:
    """Fork and waitid exist (Linux; not Windows, not macOS's Python, which lacks os.waitid)."""
    return hasattr(os, "fork") and hasattr(os, "waitid") and hasattr(os, "WNOWAIT")


def wanted() -> bool:
    return available() and not fresh_requested()


def _servers_dir() -> str:
    folder = default_cache_dir() / "check" / "servers"
    folder.mkdir(parents=True, exist_ok=True)
    return str(folder)


class ProcessServer:
    def __init__(self, devices: str, env: dict, cwd: str, plotting: bool = True, python: str = sys.executable,
                 wait: bool = True):
        self.owner = os.getpid()
        # under the harness's cache, not $TMPDIR (which a check leaves as it found it); removed when the server ends
        self.tmp = tempfile.mkdtemp(prefix="b2h-server-", dir=_servers_dir())
        env = dict(env, TMPDIR=self.tmp, TEMP=self.tmp, TMP=self.tmp, BRIAN2_HARNESS_SERVER_TMP=self.tmp)
        cmd = [python, "-m", "brian2_harness.check.forkserver", devices] + (["--plotting"] if plotting else [])
        self._state()
        self._open(cmd, env, cwd)
        self.devices = devices
        threading.Thread(target=self._read, daemon=True, name=f"b2h-server-{devices}").start()
        if wait:
            self.wait_ready()

    def wait_ready(self) -> None:
        if not self.ready.wait(START_TIMEOUT_S) or self.dead:
            self.close()
            raise ServerGone(f"the process server for {self.devices} did not start")

    def _state(self) -> None:
        self.lock = threading.Lock()
        self.pending: dict[int, queue.Queue] = {}
        self.next_id = 0
        self.ready = threading.Event()
        self.dead = False

    def _open(self, cmd: list[str], env: dict, cwd: str) -> None:
        self.log = open(os.path.join(self.tmp, "server.log"), "w")
        self.proc = processes.start(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.log, env=env,
                                    cwd=cwd)
        self.pid = self.proc.pid
        self._in, self._out = self.proc.stdout, self.proc.stdin

    def _read(self) -> None:
        with contextlib.suppress(Exception):
            for line in self._in:
                message = json.loads(line)
                if "ready" in message:
                    self.ready.set()
                    continue
                with self.lock:
                    slot = self.pending.get(message.get("id"))
                if slot is not None:
                    slot.put(message)
        with self.lock:
            self.dead = True
            for slot in self.pending.values():
                slot.put({"gone": True})
        self.ready.set()

    def alive(self) -> bool:
        return not self.dead and self.proc.poll() is None and self.owner == os.getpid()

    def _send(self, request: dict) -> queue.Queue:
        slot: queue.Queue = queue.Queue()
        with self.lock:
            if self.dead:
                raise ServerGone("the process server has ended")
            request["id"] = self.next_id
            self.pending[self.next_id] = slot
            self.next_id += 1
            try:
                self._out.write((json.dumps(request) + "\n").encode())
                self._out.flush()
            except OSError as exc:
                raise ServerGone(f"the process server has ended ({exc})") from None
        return slot

    def run(self, job: str, log: str, env: dict, cwd: str, limit: float) -> int:
        """The job's exit status (negative: killed by that signal); subprocess.TimeoutExpired after `limit` s
        (its session ended); ServerGone when the server ended first."""
        deadline = time.monotonic() + limit
        slot = self._send(dict(job=job, log=log, env=env, cwd=cwd))
        try:
            started = slot.get(timeout=START_TIMEOUT_S)
            if "gone" in started:
                raise ServerGone("the process server ended before the run started")
            sid = started["pid"]
            processes.track(sid)
            try:
                return self._status(slot, sid, deadline, limit, job)
            finally:
                processes.untrack(sid)
        finally:
            with self.lock:
                self.pending = {k: v for k, v in self.pending.items() if v is not slot}

    @staticmethod
    def _status(slot: queue.Queue, sid: int, deadline: float, limit: float, job: str) -> int:
        try:
            done = slot.get(timeout=max(0.0, deadline - time.monotonic()))
        except queue.Empty:
            processes.end_session(sid)
            with contextlib.suppress(queue.Empty):
                slot.get(timeout=processes.GRACE_S + 10)
            raise subprocess.TimeoutExpired(job, limit) from None
        if "gone" in done:
            processes.end_session(sid)
            raise ServerGone("the process server ended during the run", started=True)
        return int(done["status"])

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.proc.stdin.close()            # end of stdin: the server ends its jobs and exits
        with contextlib.suppress(subprocess.TimeoutExpired):
            processes.wait(self.proc, 10)
        processes.finish(self.proc)
        self.log.close()
        shutil.rmtree(self.tmp, ignore_errors=True)


    def end(self) -> None:
        """Ended at once, its session with it (an early server nobody took, maybe still importing)."""
        processes.finish(self.proc)
        with contextlib.suppress(Exception):
            self.proc.stdin.close()
        self.log.close()
        shutil.rmtree(self.tmp, ignore_errors=True)


class KeptServer(ProcessServer):
    """A connection to a kept server (keep.py: `check --keep-server`), started when there is none: the server
    outlives this process; closing the connection ends only this connection's jobs."""

    def __init__(self, key: tuple, env: dict, cwd: str, plotting: bool = True):
        self.owner = os.getpid()
        python, devices = key[0], key[1]
        path = keep.socket_path(key, _servers_dir())
        self.tmp = tempfile.mkdtemp(prefix="b2h-server-", dir=_servers_dir())   # the kept server removes it
        env = dict(env, TMPDIR=self.tmp, TEMP=self.tmp, TMP=self.tmp, BRIAN2_HARNESS_SERVER_TMP=self.tmp)
        cmd = [python, "-m", "brian2_harness.check.forkserver", devices] + (["--plotting"] if plotting else [])
        self._state()
        try:
            with open(path + ".log", "w") as log:
                self.sock, hello, rest, started = keep.open_connection(path, cmd, env, cwd, log)
        except OSError as exc:
            shutil.rmtree(self.tmp, ignore_errors=True)
            raise ServerGone(f"the kept process server for {devices} did not start ({exc})") from None
        if not started:
            shutil.rmtree(self.tmp, ignore_errors=True)     # a server kept from before answered: it has its own
        self.pid = int(hello["ready"])
        self._in = _Prefixed(rest, self.sock.makefile("rb"))
        self._out = self.sock.makefile("wb")
        self.ready.set()
        threading.Thread(target=self._read, daemon=True, name=f"b2h-kept-{devices}").start()

    def alive(self) -> bool:
        return not self.dead and self.owner == os.getpid()

    def close(self) -> None:
        """The server sees the connection end and ends its jobs; the reader thread sees the end and stops."""
        with contextlib.suppress(Exception):
            self.sock.shutdown(socket.SHUT_RDWR)
        for f in (self._out, self.sock):
            with contextlib.suppress(Exception):
                f.close()


class _Prefixed:
    """Lines of a socket's file after bytes already read from it."""

    def __init__(self, head: bytes, rest):
        self.head, self.rest = head, rest

    def __iter__(self):
        buffer = self.head
        while b"\n" in buffer:
            line, buffer = buffer.split(b"\n", 1)
            yield line + b"\n"
        for line in self.rest:
            if buffer:
                line, buffer = buffer + line, b""
            yield line

    def close(self) -> None:
        self.rest.close()


_LOCK = threading.Lock()
_SERVERS: dict[tuple, ProcessServer] = {}
_STARTING: dict[tuple, threading.Lock] = {}
_EARLY: dict[tuple, ProcessServer] = {}     # started before the command knew it needs them (start_early)


def _key(device: str, env: dict, cwd: str) -> tuple:
    """Devices of one server group (devices.server_group_members) share a server: one `import brian2` for the
    numpy, cython and cpp_standalone calls of a check instead of one each. A device under another release
    (`numpy@2.9.0`) has the server of that release's interpreter."""
    group = ",".join(server_group_members(device))
    return (python_for(device), group, cwd, tuple(sorted((k, v) for k, v in env.items() if k not in VOLATILE)))


def plots(script: str) -> bool:
    """Whether a script names a plotting library (then its server preloads matplotlib); unreadable: True."""
    try:
        with open(script, errors="replace") as f:
            text = f.read()
    except OSError:
        return True
    return any(name in text for name in ("matplotlib", "pylab", "brian2tools", "plt."))


def server_for(device: str, env: dict, cwd: str, plotting: bool = True) -> ProcessServer:
    """The live server for this key, started when there is none (one start at a time per key)."""
    key = _key(device, env, cwd)
    with _LOCK:
        starting = _STARTING.setdefault(key, threading.Lock())
    with starting:
        with _LOCK:
            server = _SERVERS.pop(key, None)
            if server is not None:
                _SERVERS[key] = server           # most recently used last
        if server is not None and server.alive():
            return server
        if server is not None and server.owner == os.getpid():
            server.close()
        server = _adopt_early(key)
        if server is None:
            server = KeptServer(key, env, cwd, plotting) if keep.idle_seconds() else \
                ProcessServer(key[1], env, cwd, plotting, key[0])
        with _LOCK:
            _SERVERS[key] = server
            idle = [s for s in _SERVERS.values() if s is not server and not s.pending]
            old = idle[: max(0, len(_SERVERS) - MAX_SERVERS)]
            for k in [k for k, s in _SERVERS.items() if s in old]:
                del _SERVERS[k]
        for s in old:
            s.close()
        return server


def job_environment(tmp: str) -> dict:
    """The environment of a device process (script.py's jobs): temporary files in the run's folder `tmp`."""
    env = dict(os.environ, PYTHONUNBUFFERED="1", MPLBACKEND="Agg", TMPDIR=tmp, TEMP=tmp, TMP=tmp)
    env.pop("PYTEST_XDIST_WORKER", None)
    return env


def start_early(device: str, plotting: bool) -> None:
    """Start the server of `device`'s group now, before the command has imported what it needs to send its first
    job (`brian2-harness check`: entry.py), so that the server's `import brian2` runs beside the command's own
    imports. The first job whose key is the same takes it over (server_for); an early server nobody took is ended
    when the first job of another key comes, or at exit."""
    if not wanted() or keep.idle_seconds():
        return
    key = _key(device, job_environment(""), os.getcwd())
    with _LOCK:
        if key in _SERVERS or key in _EARLY:
            return
    try:
        server = ProcessServer(key[1], dict(key[3]), key[2], plotting, key[0], wait=False)
    except OSError:
        return
    with _LOCK:
        _EARLY[key] = server


def _adopt_early(key: tuple) -> ProcessServer | None:
    """The early server of this key, ready (None: there is none, or it did not start); early servers of other
    keys are ended: this command's jobs did not turn out as guessed."""
    with _LOCK:
        server = _EARLY.pop(key, None)
        others = list(_EARLY.values())
        _EARLY.clear()
    for other in others:
        other.end()
    if server is None:
        return None
    try:
        server.wait_ready()
    except ServerGone:
        return None
    return server


def run(device: str, job: str, log: str, env: dict, limit: float, plotting: bool = True) -> int:
    """Run a job (runner.py's job file) on the device's server; see ProcessServer.run."""
    cwd = os.getcwd()
    return server_for(device, env, cwd, plotting).run(job, log, env, cwd, limit)


def live_servers() -> list[ProcessServer]:
    with _LOCK:
        return [s for s in _SERVERS.values() if s.alive()]


@atexit.register
def close_all() -> None:
    with _LOCK:
        servers = [s for s in _SERVERS.values() if s.owner == os.getpid()]
        early = [s for s in _EARLY.values() if s.owner == os.getpid()]
        _SERVERS.clear()
        _EARLY.clear()
    for server in early:
        server.end()
    for server in servers:
        server.close()
