"""The README's plugin example runs as written, and its first screen names the two commands."""
import re
import subprocess
import sys
from pathlib import Path

import pytest

README = Path(__file__).resolve().parent.parent / "README.md"


def test_first_screen_has_the_two_commands():
    head = "\n".join(README.read_text().splitlines()[:15])
    assert "bash ci/tox.sh matrix" in head and "bash ci/tox.sh cpu" in head


@pytest.mark.brian
def test_plugin_example_runs_as_written(tmp_path):
    text = README.read_text()
    block = re.search(r"<!-- example: my_variants.py -->\n```python\n(.*?)```", text, re.S).group(1)
    command = re.search(r"```bash\n(brian2-harness run --plugin my_variants.py.*?)```", text, re.S).group(1)
    (tmp_path / "my_variants.py").write_text(block)
    argv = command.replace("\\\n", " ").split()[1:] + ["--quiet", "--json", "out.json"]
    proc = subprocess.run([sys.executable, "-m", "brian2_harness", *argv], cwd=tmp_path,
                          capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert "every_event_in_end" in proc.stdout and "my_network" in proc.stdout
