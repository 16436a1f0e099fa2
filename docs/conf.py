"""Sphinx configuration: every docs/*.md page (MyST), the command-line reference from the argparse parsers
(sphinx-argparse) and the plugin API from docstrings (autodoc), so that neither can drift from the code."""
from importlib import metadata

project = "brian2-harness"
author = "brian2-harness contributors"
try:
    release = metadata.version("brian2-harness")
except metadata.PackageNotFoundError:      # building from a checkout where the package is not installed
    release = ""
version = release

extensions = ["myst_parser", "sphinx.ext.autodoc", "sphinxarg.ext"]
source_suffix = {".md": "markdown"}
root_doc = "index"
exclude_patterns = ["_build", "Thumbs.db", ".DS_Store"]

myst_heading_anchors = 3                   # [text](page.md#a-heading) links resolve
myst_enable_extensions = ["colon_fence"]

autodoc_member_order = "bysource"
autodoc_typehints = "description"
autodoc_mock_imports = ["brian2"]          # the documented modules import Brian2 lazily; never needed here

# the trailing `*` of the toctree picks up pages not listed there; none left is fine
suppress_warnings = ["toc.empty_glob"]

html_theme = "furo"
html_title = "brian2-harness"
