"""The process server (check/servers.py, check/forkserver.py): the same observables and verdicts as a fresh
interpreter per device call (exact mode on cpp_standalone, a stochastic script in statistical mode), one server
reused across calls, a script that poisons its process does not reach the next script, a stop leaves no server
behind, and `--fresh-processes` / fork unavailable start no server."""
import json
import os
import signal
import subprocess
import sys
import time
from functools import partial

import numpy as np
import pytest

from brian2_harness.check import servers
from brian2_harness.check.script import run_device
from brian2_harness.check.verdict import check

pytestmark = [pytest.mark.brian, pytest.mark.skipif(not servers.available(), reason="needs os.fork and os.waitid")]

STOCHASTIC = """
from brian2 import *
G = NeuronGroup(40, 'dv/dt = (1.2 - v)/(10*ms) + 0.4*xi/sqrt(ms) : 1', threshold='v > 1', reset='v = rand()*0.1',
                method='euler')
G.v = 'rand()'
M = SpikeMonitor(G)
R = PopulationRateMonitor(G)
run(30*ms)
"""

POISON = """
import numpy, brian2
from brian2 import *
numpy.mean = lambda *args, **kwargs: 42.0
brian2.poisoned_by_the_last_script = True
prefs.core.default_float_dtype = float32
defaultclock.dt = 0.5*ms
G = NeuronGroup(2, 'dv/dt = -v/(10*ms) : 1')
run(1*ms)
"""

CLEAN = """
import numpy, brian2
from brian2 import *
assert not hasattr(brian2, "poisoned_by_the_last_script")
assert numpy.mean([1.0, 3.0]) == 2.0
assert prefs.core.default_float_dtype is numpy.float64, prefs.core.default_float_dtype
assert abs(float(defaultclock.dt) - 1e-4) < 1e-12, defaultclock.dt
G = NeuronGroup(2, 'dv/dt = -v/(10*ms) : 1')
G.v = 1
M = StateMonitor(G, 'v', record=True)
run(1*ms)
"""


def _same_observables(a: dict, b: dict) -> None:
    assert sorted(a) == sorted(b)
    for name in a:
        for key, value in a[name].get("arrays", {}).items():
            np.testing.assert_array_equal(np.asarray(value), np.asarray(b[name]["arrays"][key]), err_msg=name + key)


def test_exact_mode_on_cpp_standalone_gives_the_same_observables_and_verdict(tmp_path, cache_dir):
    script = tmp_path / "model.py"
    script.write_text(STOCHASTIC)
    got = {}
    for fresh in (True, False):
        got[fresh] = check(str(script), ["numpy", "cpp_standalone"], mode="exact", cache_dir=cache_dir,
                           runner=partial(run_device, fresh=fresh), jobs=1)
    assert got[True].verdict == got[False].verdict, (got[True].reason, got[False].reason)
    for device in ("numpy", "cpp_standalone"):
        _same_observables(got[True].runs[device].runs[0].observables, got[False].runs[device].runs[0].observables)
    assert servers.live_servers()


def test_statistical_mode_gives_the_same_statistics_and_verdict(tmp_path, cache_dir):
    script = tmp_path / "model.py"
    script.write_text(STOCHASTIC)
    got = {}
    for fresh in (True, False):
        got[fresh] = check(str(script), ["numpy", "cython"], mode="stat", seeds=3, cache_dir=cache_dir,
                           runner=partial(run_device, fresh=fresh), jobs=1)
    assert got[True].verdict == got[False].verdict and got[True].reason == got[False].reason
    for device in ("numpy", "cython"):
        np.testing.assert_equal([r.statistics for r in got[True].runs[device].runs],
                                [r.statistics for r in got[False].runs[device].runs])


def test_a_script_that_poisons_its_process_does_not_reach_the_next_one(tmp_path):
    poison, clean = tmp_path / "poison.py", tmp_path / "clean.py"
    poison.write_text(POISON)
    clean.write_text(CLEAN)
    first = run_device(str(poison), "numpy", [0], cache_dir=tmp_path / "cache", fresh=False)
    assert first.status == "ok", first.reason
    pids = {s.pid for s in servers.live_servers()}
    second = run_device(str(clean), "numpy", [0, 1], cache_dir=tmp_path / "cache", fresh=False)
    assert second.status == "ok", second.reason
    assert {s.pid for s in servers.live_servers()} == pids       # the same server ran both
    assert second.runs[0].observables["M.v"]["arrays"]["values"].shape == (2, 10)


def test_fresh_processes_start_no_server(tmp_path, monkeypatch):
    servers.close_all()
    monkeypatch.setenv(servers.FRESH_VAR, "1")
    script = tmp_path / "clean.py"
    script.write_text(CLEAN)
    run = run_device(str(script), "numpy", [0], cache_dir=tmp_path / "cache")
    assert run.status == "ok", run.reason
    assert servers.live_servers() == []
    monkeypatch.delenv(servers.FRESH_VAR)
    monkeypatch.setattr(servers, "available", lambda: False)       # no fork: the fresh interpreter, too
    assert run_device(str(script), "numpy", [0], cache_dir=tmp_path / "cache").status == "ok"
    assert servers.live_servers() == []


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def _servers_of(parent: int, folders: list | None = None) -> list[int]:
    """Live children of `parent` that are process servers (their own temporary folder, under the harness cache,
    is appended to `folders`)."""
    found = []
    for name in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{name}/environ", "rb") as f:
                env = dict(x.split(b"=", 1) for x in f.read().split(b"\0") if b"=" in x)
            with open(f"/proc/{name}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        own = env.get(b"BRIAN2_HARNESS_SERVER_TMP", b"")
        if fields[0] != "Z" and int(fields[1]) == parent and b"b2h-server-" in own:
            found.append(int(name))
            if folders is not None:
                folders.append(own.decode())
    return found


@pytest.mark.skipif(not os.path.isdir("/proc"), reason="reads /proc")
def test_sigterm_of_check_leaves_no_server_and_no_run(tmp_path):
    script = tmp_path / "slow.py"
    script.write_text(CLEAN + "import os, time\nopen(os.environ['PIDS_FILE'], 'a').write(f'{os.getpid()}\\n')\n"
                      "time.sleep(300)\n")
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    env = dict(os.environ, TMPDIR=str(tmp), PIDS_FILE=str(tmp_path / "pids"))
    env.pop(servers.FRESH_VAR, None)
    proc = subprocess.Popen([sys.executable, "-m", "brian2_harness", "check", str(script), "--devices",
                             "numpy,cython", "--quiet", "--json", str(tmp_path / "out.json")], env=env,
                            start_new_session=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 240
    pids: list[int] = []
    while len(pids) < 2 and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.2)
        pids = [int(x) for x in (tmp_path / "pids").read_text().split()] if (tmp_path / "pids").exists() else []
    server_folders: list[str] = []
    found = _servers_of(proc.pid, server_folders)
    if len(pids) != 2 or len(found) != 1:        # numpy and cython share one server (Device.server_group)
        proc.kill()
        pytest.fail(f"{pids} {found} {proc.communicate(timeout=60)}")
    os.kill(proc.pid, signal.SIGTERM)
    _, err = proc.communicate(timeout=30)
    time.sleep(0.3)
    assert proc.returncode == 1 and "interrupted" in err, err
    assert [p for p in found + pids if _alive(p)] == []
    assert json.loads((tmp_path / "out.json").read_text())["status"] == "interrupted"
    assert sorted(os.listdir(tmp)) == []
    assert [f for f in server_folders if os.path.exists(f)] == []      # the servers' own folders went with them


def test_cpu_devices_share_one_server_group_and_cuda_has_its_own():
    """One `import brian2` serves numpy, cython and cpp_standalone; brian2cuda patches Brian at import, so its
    runs never share a process with the others' (negative control: the keys differ)."""
    from brian2_harness.devices import server_group_members
    cpu = server_group_members("numpy")
    assert {"numpy", "cython", "cpp_standalone"} <= set(cpu) and "cuda_standalone" not in cpu
    assert server_group_members("cuda_standalone") == ["cuda_standalone"]
    env = {"A": "1"}
    assert servers._key("numpy", env, "/x") == servers._key("cpp_standalone", env, "/x")
    assert servers._key("numpy", env, "/x") != servers._key("cuda_standalone", env, "/x")


def test_a_script_that_plots_gets_a_server_with_matplotlib_and_others_do_not(tmp_path):
    """The plotting import is 1.5 s of a server start: preloaded only for a script that names a plotting library;
    an unreadable script counts as plotting (the old behaviour)."""
    plain, plotting = tmp_path / "a.py", tmp_path / "b.py"
    plain.write_text(CLEAN)
    plotting.write_text(CLEAN + "import matplotlib.pyplot as plt\nplt.plot([1])\n")
    assert not servers.plots(str(plain)) and servers.plots(str(plotting))
    assert servers.plots(str(tmp_path / "missing.py"))


def test_the_server_parses_the_templates_while_it_waits_not_before_its_first_job():
    from brian2_harness.check import forkserver
    steps = forkserver.template_steps("numpy,cython")
    classes = forkserver._code_object_classes("numpy,cython")
    assert len(steps) >= 20 and len(classes) == 2
    for cls in classes:
        cls.templater.templates._templates.clear()        # parsed again below (the control: nothing is parsed yet)
        assert not cls.templater.templates._templates
    server = forkserver.Server(channel=None)
    server.idle = list(steps)
    while server.idle:
        forkserver.idle_step(server.idle)
    for cls in classes:         # every template of each class is parsed (cached by Brian's LazyTemplateLoader)
        names = {n.rsplit(".", 1)[0] if "." in n else n for n in cls.templater.env.list_templates()}
        assert names <= set(cls.templater.templates._templates), cls


FLAGS_SEEN = """
import json, sys
from brian2.codegen import cpp_prefs
tested = sorted(flag for _, flag in cpp_prefs._compiler_flag_compatibility)
with open(sys.argv[1], "w") as f:
    json.dump(tested, f)
from brian2 import *
G = NeuronGroup(2, 'dv/dt = -v/(10*ms) : 1')
G.v = 1
M = StateMonitor(G, 'v', record=True)
run(1*ms)
"""


def test_a_cython_run_on_the_server_finds_brians_compiler_flags_tested(tmp_path):
    """Brian tests each default C++ flag once per process (0.3 s): the server did it for its children. Control: a
    fresh interpreter starts with nothing tested, and Brian's flags after its own test are the same."""
    script = tmp_path / "flags.py"
    script.write_text(FLAGS_SEEN)
    seen = {}
    for fresh in (False, True):
        out = tmp_path / f"seen-{fresh}.json"
        run = run_device(str(script), "cython", [0], cache_dir=tmp_path / "cache", fresh=fresh, args=[str(out)])
        assert run.status == "ok", run.reason
        seen[fresh] = json.loads(out.read_text())
    assert "-O3" in seen[False] and "-march=native" in seen[False]
    assert seen[True] == []
    from brian2.codegen.cpp_prefs import get_compiler_and_args
    assert set(get_compiler_and_args()[1]) <= set(seen[False])


def test_the_command_line_guesses_its_first_server_only_where_it_starts_one():
    from brian2_harness.devices import CHECK_DEVICES
    from brian2_harness.entry import early_server
    assert early_server(["check", "a.py", "b.py"]) == (CHECK_DEVICES[0], ["a.py", "b.py"])
    assert early_server(["check", "a.py", "--devices=cython,cpp_standalone"]) == ("cython", ["a.py"])
    assert early_server(["check", "a.py", "--devices", "cuda_standalone,numpy"]) == ("cuda_standalone", ["a.py"])
    for argv in (["run"], [], ["check", "a.py", "--fresh-processes"], ["check", "a.py", "--keep-server", "5"],
                 ["check", "a.py", "--scheduler", "local:2"], ["check", "--help"],
                 ["check", "a.py", "--devices", "numpy@2.9.0,numpy"]):
        assert early_server(argv) is None, argv


def test_an_early_server_is_taken_over_by_the_first_job_of_its_key(tmp_path):
    """`brian2-harness check` starts its server before its own imports (entry.py): the job takes that one over,
    no second server starts (control: the early server's pid is the one that ran the job)."""
    servers.close_all()
    script = tmp_path / "clean.py"
    script.write_text(CLEAN)
    servers.start_early("numpy", False)
    early = [s.pid for s in servers._EARLY.values()]
    assert len(early) == 1
    run = run_device(str(script), "cython", [0], cache_dir=tmp_path / "cache", fresh=False)   # numpy's group
    assert run.status == "ok", run.reason
    assert [s.pid for s in servers.live_servers()] == early and not servers._EARLY
    servers.close_all()


def test_an_early_server_of_another_key_is_ended_and_never_runs_a_job(tmp_path, monkeypatch):
    """The guess was wrong (here the environment changed before the first job, as `--fresh-processes` or a
    variable the command sets would): the early server ends, the job gets a server of its own key."""
    servers.close_all()
    script = tmp_path / "clean.py"
    script.write_text(CLEAN)
    servers.start_early("numpy", False)
    (early,) = servers._EARLY.values()
    monkeypatch.setenv("B2H_TEST_OTHER_KEY", "1")
    run = run_device(str(script), "numpy", [0], cache_dir=tmp_path / "cache", fresh=False)
    assert run.status == "ok", run.reason
    assert early.proc.poll() is not None and not servers._EARLY
    assert early.pid not in [s.pid for s in servers.live_servers()] and len(servers.live_servers()) == 1
    servers.close_all()


def test_an_early_server_nobody_took_ends_at_once_even_while_it_imports():
    servers.close_all()
    servers.start_early("numpy", False)
    (early,) = servers._EARLY.values()
    t0 = time.monotonic()
    servers.close_all()
    assert early.proc.poll() is not None and time.monotonic() - t0 < 5
    assert not os.path.exists(early.tmp)
