"""The process server: `python -m brian2_harness.check.forkserver DEVICE[,DEVICE...]`, started by servers.py for
the devices of one server group.

It imports what every run needs (matplotlib with Agg, numpy, sympy, brian2 and the harness's runner with its
sandbox) and then only forks: one child per job (a device call of `check`, i.e. today's
``python -m brian2_harness.check.runner job.json``), which becomes a session of its own, takes the job's
environment, folder and output, and runs `runner.main` exactly as the fresh interpreter would after its imports.
Nothing of a script runs here: the sandbox is installed, the device chosen and the script run in the child (and,
as before, in one grandchild per seed), so a script that poisons its process (monkeypatches numpy or Brian, sets
prefs or the device) ends with its run. No device is activated here.

Protocol, one JSON object per line: on stdin ``{"id", "job", "log", "env", "cwd"}``; on the inherited stdout
``{"ready": pid}`` once imported, ``{"id", "pid"}`` when a job's child started (its session id) and
``{"id", "status"}`` when it ended (negative: killed by that signal), after what the child left in its session
was ended (processes.end_session) and the child reaped. The server is single-threaded (fork with no other thread
holding a lock). End of stdin (the client exited, even killed) or SIGTERM: every job's session is ended, the
server's temporary folder removed, exit.
"""
from __future__ import annotations

import contextlib
import json
import os
import selectors
import shutil
import signal
import sys
import tempfile
import threading
import traceback

from brian2_harness.plumbing import processes

from . import keep

POLL_S = 0.02
PLOTTING = "--plotting"


def preload(device: str, plotting: bool = True) -> list:
    """Import, never activate: Brian's device, prefs and seeds stay as `import brian2` leaves them. matplotlib
    (1.5 s of a 5 s start on a busy machine) only for a server whose first script plots: any later one that
    plots imports it in its child, as a fresh interpreter would. sympy.physics.units: sympy's simplify() imports it
    on first use, 0.2 s of every run whose code generation simplifies (each `method="exact"` model). Returns the
    template warm-up's steps (`template_steps`), done by the server while it waits for jobs."""
    os.environ["MPLBACKEND"] = "Agg"
    if plotting:
        with contextlib.suppress(ImportError):
            import matplotlib
            matplotlib.use("Agg")
            import matplotlib.pyplot  # noqa: F401
    import brian2  # noqa: F401
    flags = threading.Thread(target=compiler_flags, name="b2h-compiler-flags") if _compiles(device) else None
    if flags:
        flags.start()          # compiles of empty files, beside the imports below; joined before any fork
    import numpy  # noqa: F401
    import sympy  # noqa: F401
    import sympy.physics.units.util  # noqa: F401

    from . import runner  # noqa: F401  (the sandbox, collect, streams, standalone)
    if flags:
        flags.join()
    warm()
    return template_steps(device)


def warm() -> None:
    """Caches that every run fills alike, filled once here: pure, content-keyed, nothing a script could see
    differently (measured on a 30-step numpy script: 3.5 s a run before, 1.5 s after, with the templates below):
    * `inspect`'s file-to-module map and `linecache` of the loaded modules (Brian's magic network calls
      inspect.stack() at every run()), and their real paths (inputs.prime);
    * the garbage collector: what is loaded now is frozen (gc.freeze), so a run's gc.collect() (Brian calls it
      before each run) neither scans the whole import (0.7 s a call) nor touches, and so copies, its pages."""
    import gc
    import inspect
    import linecache

    from . import inputs
    inspect.getmodule(sys._getframe())
    inputs.prime()
    for name, module in list(sys.modules.items()):
        if name.split(".")[0] in ("brian2", "brian2_harness", "runpy") and getattr(module, "__file__", None):
            linecache.getlines(module.__file__)
    gc.collect()
    gc.freeze()


def compiler_flags() -> None:
    """Brian's test of each default C++ flag (a compile of an empty file per flag, 0.3 s), which every cython and
    cpp_standalone process otherwise repeats: Brian's own function fills Brian's own cache, keyed by the compiler's
    command and the flag, so a script that picks another compiler (CXX, prefs) or other flags is tested as before."""
    with contextlib.suppress(Exception):
        from brian2.codegen.cpp_prefs import get_compiler_and_args
        get_compiler_and_args()


def _compiles(device: str) -> bool:
    from brian2_harness.devices import get_device
    return any("g++" in get_device(name).needs for name in device.split(",") if name)


def template_steps(device: str) -> list:
    """Brian's code templates of the device's code objects (jinja, parsed on first use; LazyTemplateLoader), one
    step per template: 0.24 s for numpy, cython and cpp_standalone together, which the server spends while it waits
    for jobs (`Server.idle`) instead of before its first one: a job forked earlier parses what it uses itself."""
    def step(templater, name):
        with contextlib.suppress(Exception):
            getattr(templater, name.rsplit(".", 1)[0] if "." in name else name)
    return [lambda t=cls.templater, n=name: step(t, n)
            for cls in _code_object_classes(device) for name in cls.templater.env.list_templates()]


def idle_step(steps: list) -> None:
    """One step of the warm-up; after the last, what it loaded is frozen for the garbage collector (warm)."""
    steps.pop(0)()
    if not steps:
        import gc
        gc.collect()
        gc.freeze()


def _code_object_classes(device: str) -> list:
    from brian2_harness.devices import get_device
    classes = [cls for name in device.split(",") if name for cls in get_device(name).code_object_classes()]
    return list(dict.fromkeys(classes))


def _child(request: dict, channels: list[int]) -> int:
    """In the forked child: become today's fresh device process after its imports, and run the job."""
    os.setsid()
    for fd in channels:              # the protocol's descriptors (a kept server's socket and connections too)
        with contextlib.suppress(OSError):
            os.close(fd)
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    log = os.open(request["log"], os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    os.dup2(log, 1)
    os.dup2(log, 2)
    for fd in (null, log):
        os.close(fd)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)          # as in a fresh interpreter
    signal.signal(signal.SIGINT, signal.default_int_handler)
    os.environ.clear()
    os.environ.update(request["env"])
    os.chdir(request["cwd"])
    tempfile.tempdir = None                     # TMPDIR of the job, as in a fresh interpreter
    from . import runner
    sys.argv = [runner.__file__, request["job"]]
    _restart_brian_log()
    _own_std_silent()
    try:
        return runner.main([request["job"]])
    finally:
        with contextlib.suppress(Exception):
            from brian2.utils.logger import clean_up_logging
            clean_up_logging()                  # what a fresh interpreter's exit does (atexit is not run here)


def _restart_brian_log() -> None:
    """Brian's debug log and script copy go to the job's TMPDIR (a fresh interpreter opens them at import)."""
    with contextlib.suppress(Exception):
        from brian2.utils.logger import BrianLogger
        BrianLogger.initialize()


def _own_std_silent() -> None:
    """Brian's std_silent keeps the output of compilations in two temporary files, class attributes opened once
    per process: a child would write to the server's (in the server's TMPDIR), and the first child's clean-up
    (clean_up_logging) removes them for every later one, whose failed compilation then raises FileNotFoundError
    instead of Brian's error. Each job opens its own, in its TMPDIR, as a fresh interpreter does."""
    with contextlib.suppress(Exception):
        from brian2.utils.logger import std_silent
        std_silent.dest_stdout = std_silent.dest_stderr = None
        for name in ("dest_fname_stdout", "dest_fname_stderr"):
            if name in vars(std_silent):
                delattr(std_silent, name)


def fork_job(request: dict, channels: list[int]) -> int:
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid:
        return pid
    code = 1
    try:
        code = int(_child(request, channels) or 0)
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    except BaseException:     # noqa: BLE001
        traceback.print_exc()
    finally:
        with contextlib.suppress(Exception):
            sys.stdout.flush()
            sys.stderr.flush()
        os._exit(code)


def _status(raw: int) -> int:
    return -os.WTERMSIG(raw) if os.WIFSIGNALED(raw) else os.WEXITSTATUS(raw)


class Server:
    """Jobs by connection: the client's pipe (stdin/stdout), or each connection of a kept server (keep.py)."""

    def __init__(self, channel: int | None = None):
        self.channel = channel                 # the pipe client's stdout; None for a kept server
        self.live: dict[int, tuple[int, object]] = {}      # pid -> (channel, request id)
        self.buffers: dict[int, bytes] = {}
        self.extra: list[int] = []             # other descriptors a job's child must close (a kept server's socket)
        self.idle: list = []                   # warm-up steps done while no job arrives (template_steps)

    def send(self, channel: int, **message) -> None:
        data = (json.dumps(message) + "\n").encode()
        with contextlib.suppress(OSError):     # a client that went away: its jobs end when its channel closes
            while data:
                data = data[os.write(channel, data):]

    def reap(self) -> None:
        for pid, (channel, ident) in list(self.live.items()):
            info = os.waitid(os.P_PID, pid, os.WEXITED | os.WNOHANG | os.WNOWAIT)
            if info is None:
                continue
            processes.end_session(pid)           # the run's leftovers end with it, before its pid can be reused
            raw = os.waitpid(pid, 0)[1]
            del self.live[pid]
            self.send(channel, id=ident, status=_status(raw))

    def requests(self, source: int, chunk: bytes):
        buffer = self.buffers.get(source, b"") + chunk
        while b"\n" in buffer:
            line, buffer = buffer.split(b"\n", 1)
            if line.strip():
                yield json.loads(line)
        self.buffers[source] = buffer

    def start(self, channel: int, request: dict) -> None:
        pid = fork_job(request, [fd for fd in {self.channel, *self.extra, *self.buffers} if fd is not None and fd > 2])
        self.live[pid] = (channel, request["id"])
        self.send(channel, id=request["id"], pid=pid)

    def serve(self) -> None:
        sel = selectors.DefaultSelector()
        sel.register(0, selectors.EVENT_READ)
        while True:
            warming = self.spare_core()
            if sel.select(timeout=0 if warming else POLL_S):
                chunk = os.read(0, 65536)
                if not chunk:
                    return
                for request in self.requests(0, chunk):
                    self.start(self.channel, request)
            elif warming:
                idle_step(self.idle)
            self.reap()

    def spare_core(self) -> bool:
        """A warm-up step is due: there is one, and the running jobs leave a core free for it (on 2 cores, a
        check's three first jobs would otherwise share them with the server's template parsing)."""
        return bool(self.idle) and len(self.live) < (os.cpu_count() or 1)

    def end_jobs(self, channel: int | None = None) -> None:
        """End the jobs of one channel (None: every job)."""
        for pid, (owner, _) in list(self.live.items()):
            if channel is None or owner == channel:
                processes.end_session(pid)
                with contextlib.suppress(ChildProcessError):
                    os.waitpid(pid, 0)
                del self.live[pid]

    def stop(self) -> None:
        self.end_jobs()


def _terminate(signum, frame):
    raise SystemExit(0)


def main(argv: list[str]) -> int:
    channel = os.dup(1)                  # the protocol's; what imports print goes to stderr
    os.dup2(2, 1)
    signal.signal(signal.SIGTERM, _terminate)
    signal.signal(signal.SIGINT, signal.SIG_IGN)       # a stop comes from the client (processes.stop_all)
    kept = keep.options(argv)
    server = Server(None if kept else channel)
    try:
        server.idle = preload(argv[0] if argv else "", plotting=PLOTTING in argv)
        if kept:       # a kept server serves many checks: warmed before its first
            while server.idle:
                idle_step(server.idle)
            keep.serve(server, *kept)
        else:
            server.send(channel, ready=os.getpid())
            server.serve()
    finally:
        server.stop()
        own = os.environ.get("BRIAN2_HARNESS_SERVER_TMP")
        if own and os.path.basename(own).startswith("b2h-server-"):
            shutil.rmtree(own, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
