"""A variant whose run kills the process that started it (on a Dask cluster: the worker), loaded as a plugin by
tests/test_cluster.py. It does so only when B2H_TEST_KILL_HOST=1, so it can never kill a local run's parent."""
import os
import signal

from brian2_harness import register


def kills_its_host(net):
    if os.environ.get("B2H_TEST_KILL_HOST") == "1":
        os.kill(os.getppid(), signal.SIGKILL)
        os._exit(1)
    raise RuntimeError("B2H_TEST_KILL_HOST is not set")


register("fault_kills_its_host", "growth", kills_its_host, semantics="aligned", devices=("numpy",))
