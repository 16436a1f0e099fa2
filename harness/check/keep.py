"""Kept process servers (`check --keep-server MINUTES`): a process server that outlives its command, so that the
next `check` in the same environment forks its runs at once instead of importing Brian2 again (about 1.2 s here).

Off by default. A kept server listens on a Unix socket (mode 0600, in a 0700 folder) named after everything that
keys a server (servers._key: interpreter, device group, working folder, environment variables), accepts only
connections of its own user (SO_PEERCRED), ends the jobs of a connection that closes, and exits after MINUTES
without a connection or a job. It never serves a stale import: at start it notes the file status (mtime, size,
inode) of every module file it imported, of every folder on sys.path but the working folder (an installed or
removed package, a new .pth, changes the folder), of the interpreter and the C++ compiler whose flags Brian tested in
it (forkserver.compiler_flags), of Brian2's preference files (user's, and
`brian_preferences` in the working folder) and of every file in the working folder that would shadow a module it
imported (`numpy.py`, `brian2/`); a connection that finds any of them changed is told `stale` and the server exits,
so the client starts a fresh one (tests/test_check_keep.py).

Protocol: as the pipe server's (forkserver.py), over the connection; the first message is `{"ready": pid}` or
`{"stale": why}`.
"""
from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import selectors
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import time

KEEP_VAR = "BRIAN2_HARNESS_KEEP_SERVER"      # idle seconds of a kept server; unset or 0: servers end with the command
LISTEN, IDLE = "--listen", "--idle"
POLL_S = 0.02
CONNECT_TIMEOUT_S = 300.0


def idle_seconds() -> float:
    try:
        value = float(os.environ.get(KEEP_VAR, "0") or 0)
    except ValueError:
        return 0.0
    return value if value > 0 else 0.0


def options(argv: list[str]) -> tuple[str, float] | None:
    """(socket path, idle seconds) when the server was started to be kept."""
    if LISTEN not in argv:
        return None
    return argv[argv.index(LISTEN) + 1], float(argv[argv.index(IDLE) + 1]) if IDLE in argv else 600.0


# --- what the server watches --------------------------------------------------------------------------------------

def _stat(path: str):
    try:
        st = os.stat(path)
    except OSError:
        return None
    return [st.st_mtime_ns, st.st_size, st.st_ino]


def compiler_paths() -> list[str]:
    """The compilers whose flags Brian tested in this process (forkserver.compiler_flags): one that changed makes
    the noted results stale."""
    cache = getattr(sys.modules.get("brian2.codegen.cpp_prefs"), "_compiler_flag_compatibility", None) or {}
    found = (shutil.which(cmd.split()[0]) for cmd, _ in list(cache) if isinstance(cmd, str) and cmd.split())
    return sorted({p for p in found if p})


def watched_paths(cwd: str) -> list[str]:
    """The files and folders whose change makes a kept server's imports stale (see the module's docstring)."""
    cwd = os.path.realpath(cwd)
    paths = {sys.executable, os.path.expanduser("~/.brian/user_preferences"), os.path.join(cwd, "brian_preferences"),
             *compiler_paths()}
    tops = set()
    for name, module in list(sys.modules.items()):
        tops.add(name.split(".")[0])
        path = getattr(module, "__file__", None)
        if isinstance(path, str) and path:
            paths.add(path)
    for entry in sys.path:
        folder = os.path.realpath(entry or ".")
        if folder != cwd and os.path.isdir(folder):
            paths.add(folder)
    for top in tops:                           # a module in the working folder would shadow an imported one
        paths.update((os.path.join(cwd, f"{top}.py"), os.path.join(cwd, top)))
    return sorted(paths)


def fingerprint(paths: list[str]) -> dict:
    return {p: _stat(p) for p in paths}


def changed(before: dict) -> str | None:
    """Why the noted status no longer holds (the first path that differs), or None."""
    for path, status in before.items():
        if _stat(path) != status:
            return f"{path} changed since the server started"
    return None


# --- the server's side -------------------------------------------------------------------------------------------

def _peer_uid(conn: socket.socket) -> int | None:
    with contextlib.suppress(OSError, AttributeError):
        _, uid, _ = struct.unpack("3i", conn.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i")))
        return uid
    return None


def serve(server, path: str, idle: float) -> None:
    """Accept connections on `path` until `idle` seconds pass without a connection or a job, or one finds the
    imports stale. `server` is forkserver.Server (its jobs, fork and reaping)."""
    noted = fingerprint(watched_paths(os.getcwd()))
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    with contextlib.suppress(FileNotFoundError):
        os.unlink(path)                        # a dead server's socket (the client holds the lock)
    listener.bind(path)
    os.chmod(path, 0o600)
    mine = os.stat(path).st_ino
    listener.listen(16)
    server.extra.append(listener.fileno())
    sel = selectors.DefaultSelector()
    sel.register(listener, selectors.EVENT_READ)
    conns: dict[int, socket.socket] = {}
    quiet_since = time.monotonic()
    try:
        while True:
            for key, _ in sel.select(timeout=POLL_S):
                if key.fileobj is listener:
                    conn, _ = listener.accept()
                    if _peer_uid(conn) != os.getuid():
                        conn.close()
                        continue
                    why = changed(noted)
                    if why:
                        server.send(conn.fileno(), stale=why)
                        conn.close()
                        return
                    conns[conn.fileno()] = conn
                    server.buffers[conn.fileno()] = b""
                    sel.register(conn, selectors.EVENT_READ)
                    server.send(conn.fileno(), ready=os.getpid())
                    continue
                conn = key.fileobj
                fd = conn.fileno()
                try:
                    chunk = conn.recv(65536)
                except OSError:
                    chunk = b""
                if not chunk:                          # the client ended (or was killed): its jobs end
                    sel.unregister(conn)
                    server.end_jobs(fd)
                    server.buffers.pop(fd, None)
                    del conns[fd]
                    conn.close()
                    continue
                for request in server.requests(fd, chunk):
                    server.start(fd, request)
            server.reap()
            if conns or server.live:
                quiet_since = time.monotonic()
            elif time.monotonic() - quiet_since > idle:
                return
    finally:
        with contextlib.suppress(OSError):
            if os.stat(path).st_ino == mine:
                os.unlink(path)
        listener.close()


# --- the client's side -------------------------------------------------------------------------------------------

def socket_path(key: tuple, folder: str) -> str:
    """The socket of the server with this key; under /tmp when the cache folder's path is too long for one."""
    name = "kept-" + hashlib.sha256(repr(key).encode()).hexdigest()[:20] + ".sock"
    path = os.path.join(folder, name)
    if len(path.encode()) > 100:
        short = os.path.join(tempfile.gettempdir(), f"b2h-kept-{os.getuid()}")
        os.makedirs(short, mode=0o700, exist_ok=True)
        os.chmod(short, 0o700)
        path = os.path.join(short, name)
    return path


def _first_message(sock: socket.socket, timeout: float) -> tuple[dict | None, bytes]:
    sock.settimeout(timeout)
    data = b""
    try:
        while b"\n" not in data:
            chunk = sock.recv(65536)
            if not chunk:
                return None, b""
            data += chunk
    except OSError:
        return None, b""
    finally:
        sock.settimeout(None)
    line, rest = data.split(b"\n", 1)
    return json.loads(line), rest


def _connect(path: str) -> socket.socket | None:
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        sock.connect(path)
        return sock
    except OSError:
        sock.close()
        return None


_LAUNCH = ("import subprocess, sys; p = subprocess.Popen(sys.argv[1:], start_new_session=True, close_fds=True, "
           "stdin=subprocess.DEVNULL, stdout=sys.stderr, stderr=sys.stderr); print(p.pid)")


def _spawn(cmd: list[str], env: dict, cwd: str, log) -> int:
    """Start the server through a short-lived launcher, so that it is nobody's child here (no zombie while this
    process lives, reaped by init when it exits); its pid."""
    out = subprocess.run([sys.executable, "-S", "-c", _LAUNCH, *cmd], env=env, cwd=cwd, stdout=subprocess.PIPE,
                         stderr=log, check=True, text=True)
    return int(out.stdout.strip())


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        try:
            os.kill(pid, 0)
            return True
        except OSError:
            return False


def open_connection(path: str, cmd: list[str], env: dict, cwd: str, log) -> tuple[socket.socket, dict, bytes, bool]:
    """A connection to the kept server at `path`, started (`cmd`) when there is none or the one there is stale:
    (socket, its ready message, bytes already read after it, whether this call started it). One client starts a
    server at a time (a lock)."""
    with open(path + ".lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        for attempt in range(2):
            sock = _connect(path)
            started = sock is None
            if sock is None:
                pid = _spawn(cmd + [LISTEN, path, IDLE, str(idle_seconds() or 600.0)], env, cwd, log)
                deadline = time.monotonic() + CONNECT_TIMEOUT_S
                while sock is None and _alive(pid) and time.monotonic() < deadline:
                    time.sleep(0.02)
                    sock = _connect(path)
                if sock is None:
                    raise OSError(f"the kept server did not start (see {log.name})")
            message, rest = _first_message(sock, CONNECT_TIMEOUT_S)
            if message and "ready" in message:
                return sock, message, rest, started
            sock.close()
            deadline = time.monotonic() + 10      # stale: the server exits and removes its socket
            while os.path.exists(path) and time.monotonic() < deadline:
                time.sleep(0.02)
        raise OSError("the kept server was stale twice")
