"""The README stays a short first screen whose commands are the ones CI runs and whose links resolve; the docs
pages it links to have titles and are all in the site; the plugin example of the docs runs as written."""
import configparser
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
DOCS = ROOT / "docs"


def readme() -> str:
    return README.read_text()


def ci_test_command() -> str:
    """The command `.ci/run` executes (after `exec`)."""
    lines = [ln for ln in (ROOT / ".ci" / "run").read_text().splitlines() if ln.startswith("exec ")]
    assert len(lines) == 1, lines
    return lines[0].removeprefix("exec ").strip()


def tox_envs() -> set[str]:
    ini = configparser.ConfigParser(interpolation=None)
    ini.read(ROOT / "tox.ini")
    return {s.removeprefix("testenv:") for s in ini.sections() if s.startswith("testenv:")}


def test_readme_is_at_most_150_lines():
    assert len(readme().splitlines()) <= 150


def test_first_screen_has_the_matrix_and_the_command_ci_runs():
    head = "\n".join(readme().splitlines()[:15])
    command = ci_test_command()
    assert command.startswith("bash ci/tox.sh ")
    assert "bash ci/tox.sh matrix" in head and command in head, (command, head)
    envs = command.removeprefix("bash ci/tox.sh ").split()[0].split(",")
    assert {"lint", "docs", "cpu"} <= set(envs) and set(envs) <= tox_envs() and "matrix" in tox_envs()


def test_readme_links_resolve():
    links = re.findall(r"\]\(([^)#]+)(?:#[^)]*)?\)", readme())
    local = [link for link in links if not re.match(r"[a-z]+://", link)]
    assert any(link.startswith("docs/") for link in local)
    missing = [link for link in local if not (ROOT / link).exists()]
    assert not missing, missing


def test_install_names_every_extra_and_the_python_requirement():
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    text = readme()
    assert {"test", "cuda", "docs", "lint"} <= set(extras)
    assert [name for name in extras if f"'.[{name}]'" not in text] == []
    assert "Python ≥ 3.12" in text or "Python >= 3.12" in text


def test_docs_pages_have_a_title_and_the_toctree_takes_every_page():
    pages = sorted(DOCS.glob("*.md"))
    assert len(pages) > 10
    untitled = [p.name for p in pages if not p.read_text().startswith("# ")]
    assert not untitled, untitled
    index = (DOCS / "index.md").read_text()
    toctree = re.search(r"```\{toctree\}\n(.*?)```", index, re.S).group(1)
    assert ":glob:" in toctree and re.search(r"^\*$", toctree, re.M)


def test_help_says_any_brian2_script_can_be_checked():
    from brian2_harness.cli import build_parser
    text = " ".join(build_parser().format_help().split())
    assert "any Brian2 script" in text and "check" in text


@pytest.mark.brian
def test_plugin_example_runs_as_written(tmp_path):
    text = (DOCS / "plugins.md").read_text()
    block = re.search(r"<!-- example: my_variants.py -->\n```python\n(.*?)```", text, re.S).group(1)
    command = re.search(r"```bash\n(brian2-harness run --plugin my_variants.py.*?)```", text, re.S).group(1)
    (tmp_path / "my_variants.py").write_text(block)
    argv = command.replace("\\\n", " ").split()[1:] + ["--quiet", "--json", "out.json"]
    proc = subprocess.run([sys.executable, "-m", "brian2_harness", *argv], cwd=tmp_path,
                          capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert "every_event_in_end" in proc.stdout and "my_network" in proc.stdout
