"""Text from a results document (script names, errors, reasons) in Markdown, where it must stay text.

Markdown passes raw HTML through: a script named `<img src=x onerror=alert(1)>.py` or an error message quoting
markup would become an element of the summary a CI page or a browser renders. Everything such a value holds is
written with the characters that start HTML as entities (`<` as `&lt;`, shown as `<`; `&`), control characters
made visible, and table syntax (`|`, newlines) neutralized; code blocks and spans are kept verbatim but cannot be
closed from inside. Used by every Markdown output: the Jinja2 Markdown environment (render.py: check and run
summaries) and the script history (upgrade/script_history.py).
"""
from __future__ import annotations

import re

from brian2_harness.reports.context import visible


def md_text(text) -> str:
    """`text` as Markdown text: no HTML, control characters visible (any newline kept). Only `&` and `<` become
    entities: no tag or entity can start without them, and `->` in a raw file stays readable."""
    return visible(text).replace("&", "&amp;").replace("<", "&lt;")


def md_cell(text) -> str:
    """`text` for a Markdown table cell or a one-line item: md_text, `|` escaped, on one line."""
    return md_text(text).replace("|", "\\|").replace("\r", " ").replace("\n", " ")


def md_fenced(text) -> str:
    """The inside of a ``` fence: verbatim (code is not rendered as HTML), a ``` in it cannot end the block."""
    return visible(text).replace("```", "`\u200b``")


def md_inline_code(text) -> str:
    """`text` as an inline code span, delimited by more backticks than any run inside it."""
    body = visible(text).replace("\n", " ")
    longest = max((len(m) for m in re.findall(r"`+", body)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if longest else ""
    return f"{fence}{pad}{body}{pad}{fence}"
