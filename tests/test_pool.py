"""The long-lived worker pool (run/pool.py) without Brian: a fake worker speaks the same line protocol."""
from __future__ import annotations

import os
import sys
import textwrap

import pytest

from brian2_harness.run.pool import Pool, reuse_enabled

FAKE = textwrap.dedent("""
    import os, sys, time
    assert sys.argv[-1] == "--serve"
    for line in iter(sys.stdin.readline, ""):
        job = line.strip()
        if job == "crash":
            os._exit(7)
        if job == "kill":
            os.kill(os.getpid(), 9)
        if job == "hang":
            time.sleep(60)
        sys.stdout.write(f"done {0 if job == 'ok' else 1}\\n"); sys.stdout.flush()
""")


@pytest.fixture
def fake(tmp_path):
    path = tmp_path / "fake_worker.py"
    path.write_text(FAKE)
    pool = Pool(max_idle=2)
    yield pool, [sys.executable, str(path)]
    pool.close()


def test_a_worker_serves_job_after_job_until_one_fails(fake):
    pool, cmd = fake
    env = dict(os.environ)
    w = pool.acquire(cmd, env, [], "numpy")
    assert w.submit("ok", 30) == 0
    pool.release(w, reusable=True)
    again = pool.acquire(cmd, env, [], "numpy")
    assert again is w and pool.started == 1 and again.submit("ok", 30) == 0
    assert again.submit("error", 30) == 1
    pool.release(again, reusable=False)            # the executor never reuses a worker whose job failed
    assert not w.alive()
    fresh = pool.acquire(cmd, env, [], "numpy")
    assert fresh is not w and pool.started == 2
    pool.release(fresh, reusable=True)
    asked_fresh = pool.acquire(cmd, env, [], "numpy", fresh=True)    # --fresh-workers: an idle one is not taken
    assert asked_fresh is not fresh and pool.started == 3
    pool.release(asked_fresh, reusable=False)


def test_a_crash_or_a_hang_is_the_jobs_result_and_the_process_is_gone(fake):
    pool, cmd = fake
    env = dict(os.environ)
    w = pool.acquire(cmd, env, [], "numpy")
    assert w.submit("crash", 30) == 7
    pool.release(w, reusable=True)                  # dead: not kept
    w = pool.acquire(cmd, env, [], "numpy")
    assert w.submit("kill", 30) == -9
    pool.release(w, reusable=True)
    w = pool.acquire(cmd, env, [], "numpy")
    assert w.submit("hang", 0.5) is None            # timeout
    pool.release(w, reusable=False)
    assert not w.alive() and pool._idle == []


def test_workers_only_serve_what_they_were_started_with(fake, tmp_path):
    pool, cmd = fake
    env = dict(os.environ)
    w = pool.acquire(cmd, env, [], "numpy")
    pool.release(w, reusable=True)
    same = pool.acquire(cmd, env | {"PYTEST_CURRENT_TEST": "tests/x.py::another (call)"}, [], "numpy")
    assert same is w                                # pytest's name of the running test does not count
    pool.release(same, reusable=True)
    other_env = pool.acquire(cmd, env | {"OMP_WAIT_POLICY": "active"}, [], "numpy")
    assert other_env is not w
    pool.release(other_env, reusable=True)
    plugin = tmp_path / "plugin.py"
    plugin.write_text("x = 1\n")
    with_plugin = pool.acquire(cmd, env, [str(plugin)], "numpy")
    pool.release(with_plugin, reusable=True)
    plugin.write_text("x = 22\n")                   # the plugin file changed: its old worker does not serve it
    changed = pool.acquire(cmd, env, [str(plugin)], "numpy")
    assert changed is not with_plugin and pool.started == 4
    pool.release(changed, reusable=True)
    assert len(pool._idle) == 2                     # max_idle: the oldest idle workers were closed


def test_fresh_workers_can_be_asked_for(monkeypatch):
    monkeypatch.delenv("BRIAN2_HARNESS_FRESH_WORKERS", raising=False)
    assert reuse_enabled(True) and not reuse_enabled(False)
    monkeypatch.setenv("BRIAN2_HARNESS_FRESH_WORKERS", "1")
    assert not reuse_enabled(True)


@pytest.mark.brian
def test_profile_says_where_the_time_went_and_fresh_workers_start_one_process_per_job(capsys, tmp_path):
    from brian2_harness.cli import main
    args = ["run", "--variants", "summed_aligned", "--devices", "numpy,cpp_standalone", "--cases", "0",
            "--default-case",
            "--quiet", "--profile", "--cache-dir", str(tmp_path)]
    assert main(args + ["--fresh-workers"]) == 0
    out = capsys.readouterr().out
    assert "where the time went" in out and "worker processes started: 2" in out      # numpy, cpp_standalone
    for device in ("numpy", "cpp_standalone"):
        assert device in out.split("where the time went")[1]
    assert main(args) == 0                          # fresh workers were not kept: two are started and kept
    capsys.readouterr()
    assert main(args) == 0
    assert "worker processes started: 0" in capsys.readouterr().out                    # both reused
