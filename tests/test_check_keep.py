"""Kept process servers (check/keep.py, `check --keep-server`): what a kept server watches and how it decides its
imports are stale (no Brian); with Brian: the next command's connection reuses the server (same pid, same
verdict), a change of a watched file (a `brian_preferences` appearing in the working folder) makes it exit and a
fresh one start, an idle one exits and removes its socket, closing a connection ends that connection's jobs."""
import os
import signal
import sys
import time

import pytest

from brian2_harness.check import keep, servers


def test_changed_names_the_first_file_that_differs(tmp_path):
    a, b = tmp_path / "a.py", tmp_path / "b.py"
    a.write_text("x = 1\n")
    noted = keep.fingerprint([str(a), str(b)])
    assert keep.changed(noted) is None
    b.write_text("")                                       # a file that did not exist appears (shadowing)
    assert keep.changed(noted) == f"{b} changed since the server started"
    noted = keep.fingerprint([str(a), str(b)])
    os.utime(a, ns=(1, 1))                                 # same size, other mtime
    assert keep.changed(noted) == f"{a} changed since the server started"


def test_watched_paths(tmp_path):
    import json  # noqa: F401  (in sys.modules: its file is watched)
    paths = keep.watched_paths(str(tmp_path))
    assert json.__file__ in paths and sys.executable in paths
    assert str(tmp_path) not in paths                     # the working folder's own mtime changes with every output
    assert os.path.join(os.path.realpath(tmp_path), "json.py") in paths      # but a module there would shadow json
    assert os.path.join(os.path.realpath(tmp_path), "brian_preferences") in paths


def test_options_and_idle(monkeypatch):
    assert keep.options(["numpy", "--plotting"]) is None
    assert keep.options(["numpy", "--listen", "/s.sock", "--idle", "30"]) == ("/s.sock", 30.0)
    for value, want in (("", 0.0), ("abc", 0.0), ("-5", 0.0), ("90", 90.0)):
        monkeypatch.setenv(keep.KEEP_VAR, value)
        assert keep.idle_seconds() == want


def test_socket_path_fits(tmp_path):
    long = tmp_path / ("x" * 120)
    path = keep.socket_path(("py", "numpy", "/w", ()), str(long))
    assert len(path.encode()) <= 100 and path.endswith(".sock")
    assert keep.socket_path(("py", "numpy", "/w", ()), "/c") != keep.socket_path(("py", "numpy", "/v", ()), "/c")


def test_keep_server_option_is_validated(tmp_path):
    from brian2_harness.cli import main
    script = tmp_path / "s.py"
    script.write_text("from brian2 import *\n")
    assert main(["check", str(script), "--keep-server", "0"]) == 2
    assert main(["check", str(script), "--keep-server", "5000"]) == 2


SCRIPT = """
from brian2 import *
G = NeuronGroup(3, 'dv/dt = -v/(10*ms) : 1', method='exact')
G.v = 'i*0.1'
M = StateMonitor(G, 'v', record=True)
run(1*ms)
"""

SLEEPER = """
import os, time
open({marker!r}, 'w').write(str(os.getpid()))
time.sleep(300)
"""


@pytest.fixture
def kept(tmp_path, monkeypatch):
    """A working folder of its own (its own kept server), idle 30 s; every kept server it started is ended."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv(keep.KEEP_VAR, "30")
    pids = []
    yield pids
    servers.close_all()
    for pid in pids:
        try:
            os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            pass


def _gone(pid: int) -> bool:
    return not keep._alive(pid)


def _pid_of(device="numpy"):
    server = next(s for s in servers.live_servers() if isinstance(s, servers.KeptServer))
    return server.pid


@pytest.mark.brian
def test_reuse_stale_restart_and_idle_exit(tmp_path, kept, cache_dir, monkeypatch):
    from brian2_harness.check.verdict import check
    (tmp_path / "s.py").write_text(SCRIPT)
    first = check("s.py", ["numpy", "cython"], mode="exact", cache_dir=cache_dir)
    pid = _pid_of()
    kept.append(pid)
    servers.close_all()                                   # the command ends; the server stays
    os.kill(pid, 0)
    again = check("s.py", ["numpy", "cython"], mode="exact", cache_dir=cache_dir)
    assert _pid_of() == pid and again.verdict == first.verdict == "agree"
    servers.close_all()
    (tmp_path / "brian_preferences").write_text("# nothing set\n")     # a watched file changed
    third = check("s.py", ["numpy", "cython"], mode="exact", cache_dir=cache_dir)
    fresh = _pid_of()
    kept.append(fresh)
    assert fresh != pid and third.verdict == "agree"
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:                    # the stale one exited
        if _gone(pid):
            break
        time.sleep(0.1)
    else:
        pytest.fail("the stale kept server did not exit")
    servers.close_all()
    monkeypatch.setenv(keep.KEEP_VAR, "1")                # another key: a new server, idle 1 s
    check("s.py", ["numpy", "cython"], mode="exact", cache_dir=cache_dir)
    short = _pid_of()
    kept.append(short)
    sock = [p for p in os.listdir(servers._servers_dir()) if p.endswith(".sock")]
    servers.close_all()
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if _gone(short):
            break
        time.sleep(0.1)
    else:
        pytest.fail("the idle kept server did not exit")
    left = [p for p in os.listdir(servers._servers_dir()) if p.endswith(".sock")]
    assert len(left) < len(sock)


@pytest.mark.brian
def test_closing_a_connection_ends_its_jobs(tmp_path, kept, cache_dir):
    """A client that goes away (its command killed) leaves no run behind in the kept server: a script that sleeps
    is running when the connection closes; its process must end. Negative control: before the close it runs."""
    import threading

    from brian2_harness.check.script import run_device
    (tmp_path / "sleep.py").write_text(SLEEPER.format(marker=str(tmp_path / "sleeping")))
    results = []
    threading.Thread(target=lambda: results.append(run_device("sleep.py", "numpy", [0], timeout=300,
                                                              cache_dir=cache_dir)), daemon=True).start()
    deadline = time.monotonic() + 120
    while not (tmp_path / "sleeping").exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    sleeper = int((tmp_path / "sleeping").read_text())
    time.sleep(0.5)
    assert not _gone(sleeper)
    server = next(s for s in servers.live_servers() if isinstance(s, servers.KeptServer))
    kept.append(server.pid)
    server.close()
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and not _gone(sleeper):
        time.sleep(0.1)
    assert _gone(sleeper), "the run of a closed connection is still running"
    assert not _gone(server.pid)                          # the server itself stays for the next command
