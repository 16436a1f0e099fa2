"""Sphinx configuration: every docs/*.md page (MyST), the command-line reference from the argparse parsers
(sphinx-argparse) and the plugin API from docstrings (autodoc), so that neither can drift from the code.

The pages document this checkout: `brian2_harness` is imported from `harness/` (and `brian2_harness.models` from
`models/`, as pyproject.toml maps them) without installing the package or its dependencies (Brian2 among them)."""
import importlib.util
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _import_checkout() -> None:
    spec = importlib.util.spec_from_file_location(
        "brian2_harness", ROOT / "harness" / "__init__.py",
        submodule_search_locations=[str(ROOT / "harness"), str(ROOT)])     # ROOT: brian2_harness.models = models/
    module = importlib.util.module_from_spec(spec)
    sys.modules["brian2_harness"] = module
    spec.loader.exec_module(module)


_import_checkout()

project = "brian2-harness"
author = "brian2-harness contributors"
release = version = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]

extensions = ["myst_parser", "sphinx.ext.autodoc", "sphinxarg.ext"]
source_suffix = {".md": "markdown"}
root_doc = "index"
exclude_patterns = ["_build", "Thumbs.db", ".DS_Store", "data"]

myst_heading_anchors = 3                   # [text](page.md#a-heading) links resolve
myst_enable_extensions = ["colon_fence"]

autodoc_member_order = "bysource"
autodoc_typehints = "description"
autodoc_mock_imports = ["brian2"]          # the documented modules import Brian2 lazily; never needed here

html_theme = "furo"
html_title = "brian2-harness"
