"""Brian's std_silent (stdout/stderr of compilations, kept in temporary files that are class attributes, opened once
per process) in process server children: each job gets its own files in its TMPDIR, as a fresh interpreter does.
Shared from the server, the first job's clean-up removed them, and every later job whose compilation failed inside
std_silent raised FileNotFoundError instead of Brian's error (compare_GSL_to_conventional.py became a harness error
instead of a GSL skip on cython and cpp_standalone)."""
import pytest

from brian2_harness.check import servers
from brian2_harness.check.script import run_device

pytestmark = [pytest.mark.brian, pytest.mark.skipif(not servers.available(), reason="needs os.fork and os.waitid")]

SCRIPT = """
from brian2 import *
from brian2.utils.logger import std_silent
try:
    with std_silent():
        raise ValueError("inside std_silent")
except ValueError:
    pass
G = NeuronGroup(2, 'dv/dt = -v/(10*ms) : 1')
G.v = 1
M = StateMonitor(G, 'v', record=True)
run(1*ms)
"""


@pytest.mark.parametrize("device", ["cython", "cpp_standalone"])
def test_each_job_has_its_own_std_silent_files(tmp_path, cache_dir, device):
    script = tmp_path / "silent.py"
    script.write_text(SCRIPT)
    for _ in range(3):          # the same server: the second and third jobs come after a job's clean-up
        run = run_device(str(script), device, [0], cache_dir=cache_dir, fresh=False)
        assert run.status == "ok", run.reason
