"""processes.py without Brian: what a child leaves behind ends with it, a stop ends every tracked session and
refuses new ones until resumed."""
import os
import subprocess
import threading
import time

import pytest

from brian2_harness.plumbing import processes

pytestmark = pytest.mark.skipif(not os.path.isdir("/proc"), reason="reads /proc")


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def test_leftovers_end_with_the_run_and_the_status_is_kept(tmp_path):
    pid_file = tmp_path / "pid"
    proc = processes.start(["sh", "-c", f"sleep 300 & echo $! > {pid_file}; exit 3"])
    assert processes.wait(proc, 30) == 3
    left = int(pid_file.read_text())
    assert processes.finish(proc) == [left] and proc.returncode == 3
    time.sleep(0.1)
    assert not _alive(left)


def test_stop_all_ends_running_sessions_and_refuses_new_ones():
    proc = processes.start(["sh", "-c", "sleep 300 & sleep 300"])
    try:
        time.sleep(0.2)
        members = processes.session_members(proc.pid)
        assert len(members) >= 2          # the shell and its two sleeps
        t0 = time.monotonic()
        threading.Thread(target=processes.stop_all).start()
        assert processes.wait(proc, 10) != 0 and time.monotonic() - t0 < processes.GRACE_S + 2
    finally:
        processes.finish(proc)
    time.sleep(0.1)
    assert [p for p in members if _alive(p)] == []
    try:
        with pytest.raises(KeyboardInterrupt):
            processes.start(["sleep", "300"])
    finally:
        processes.resume()


def test_a_slow_child_times_out_without_being_reaped():
    proc = processes.start(["sleep", "300"])
    with pytest.raises(subprocess.TimeoutExpired):
        processes.wait(proc, 0.2)
    processes.finish(proc)
    assert proc.returncode is not None
