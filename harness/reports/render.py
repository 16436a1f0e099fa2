"""HTML and Markdown reports from one context (context.py) through Jinja2 templates (templates/)."""
from __future__ import annotations

import os
from importlib import resources

from brian2_harness.atomic import write_output
from brian2_harness.errors import UsageError
from brian2_harness.reports.context import MAX_FAILURES, build_context, visible
from brian2_harness.reports.mdtext import md_cell, md_fenced, md_inline_code, md_text
from brian2_harness.reports.merge import load_results
from brian2_harness.versions import NUMPY

ENV_KEYS = ("python", NUMPY, "brian2", "brian2cuda", "gcc", "nvcc", "platform")


def environment(autoescape: bool):
    """The Jinja2 environment of every report (run and check): HTML with autoescape, Markdown without."""
    import jinja2
    env = jinja2.Environment(loader=jinja2.PackageLoader("brian2_harness.reports", "templates"),
                             autoescape=autoescape, keep_trailing_newline=True, trim_blocks=False)
    env.filters["envline"] = lambda e: ", ".join(f"{k} {v}" for k, v in (e or {}).items()
                                                 if v is not None and k in ENV_KEYS)
    if autoescape:
        env.finalize = _visible_keeping_markup
    else:             # Markdown: every value is text (mdtext.py), never HTML; `md` also fits it in a table cell
        from markupsafe import Markup
        env.filters["md"] = lambda text: Markup(md_cell(text))
        env.filters["fenced"] = lambda text: Markup(md_fenced(text))
        env.filters["inline_code"] = lambda text: Markup(md_inline_code(text))
        env.finalize = lambda value: value if isinstance(value, Markup) else md_text(value)
    return env


def _visible_keeping_markup(value):
    """Control characters made visible; already-safe HTML (a macro's output, `|safe`) stays safe, or autoescape
    would escape it a second time and the page would show the markup as text."""
    from markupsafe import Markup
    if isinstance(value, Markup):
        return Markup(visible(value))
    return visible(value) if isinstance(value, str) else value


def css() -> str:
    return resources.files("brian2_harness.reports").joinpath("templates/report.css").read_text(encoding="utf-8")


def render_html(context: dict) -> str:
    return environment(True).get_template("report.html.j2").render(css=css(), **context)


def render_markdown(context: dict) -> str:
    return environment(False).get_template("summary.md.j2").render(**context)


def write_report(results: dict, out_dir, *, max_failures: int = MAX_FAILURES) -> dict:
    """Write `index.html` and `summary.md` into `out_dir` (created); return their paths."""
    out_dir = os.fspath(out_dir)
    try:
        os.makedirs(out_dir, exist_ok=True)
    except OSError as exc:
        raise UsageError(f"report folder '{out_dir}': {exc.strerror or exc}") from None
    context = build_context(results, max_failures=max_failures)
    paths = {"html": os.path.join(out_dir, "index.html"), "markdown": os.path.join(out_dir, "summary.md")}
    write_output(paths["html"], render_html(context), "report folder: cannot write")
    write_output(paths["markdown"], render_markdown(context), "report folder: cannot write")
    return paths


def cmd_report(args) -> int:
    """The `report` command (its options: cli/reports.py)."""
    if args.max_failures < 0:
        raise UsageError(f"--max-failures must be >= 0, got {args.max_failures}")
    paths = write_report(load_results(args.results), args.out, max_failures=args.max_failures)
    print(f"report: {paths['html']} and {paths['markdown']}")
    return 0
