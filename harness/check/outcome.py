"""What an exception that ended a script means: Brian refusing the script on this device (a skip, with Brian's
reason), a Python module that is not installed, GSL headers missing, or an error (with the script line)."""
from __future__ import annotations

import os
import traceback

from .sandbox import RunAfterBuild


def chain(exc):
    seen = []
    while exc is not None and len(seen) < 12 and all(exc is not e for e in seen):
        seen.append(exc)
        exc = exc.__cause__ or exc.__context__
    return seen


def first_line(exc) -> str:
    text = str(exc).strip() or type(exc).__name__
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    return (lines[0] if lines else text)[:300]


def script_line(exc, script: str) -> str:
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if os.path.abspath(f.filename) == script]
    return f" (script line {frames[-1].lineno})" if frames else ""


def in_brian(exc) -> bool:
    """The innermost Python frame of the exception is Brian's own code (Quantity indexing and arithmetic,
    brian2/units, is numpy's work and does not count)."""
    frames = traceback.extract_tb(exc.__traceback__) if exc is not None else []
    name = frames[-1].filename if frames else ""
    return f"{os.sep}brian2{os.sep}" in name and f"{os.sep}brian2{os.sep}units{os.sep}" not in name


def in_plotting(exc) -> bool:
    """The exception came out of matplotlib (a plotting API the script uses has changed, a missing font, ...)."""
    return any(f"{os.sep}matplotlib{os.sep}" in f.filename for f in traceback.extract_tb(exc.__traceback__))


# Brian's refusals that are not NotImplementedError: (exception type, text in its message, what it means)
REFUSALS = [
    ("TypeError", "report argument has to be either",
     "standalone devices take no Python function as run(report=...), only 'text', 'stdout', 'stderr' or C++ code"),
]


def classify(exc, script: str, log: str | None = None) -> tuple[str, str]:
    """(status, reason) for an exception that ended the script (`log`: the run's output so far)."""
    links = chain(exc)
    for e in links:
        if isinstance(e, RunAfterBuild):
            return "skip", f"standalone: {first_line(e)}"
        if isinstance(e, NotImplementedError):
            return "skip", f"Brian: {first_line(e)}"
    for e in links:
        refusal = next((why for kind, text, why in REFUSALS if type(e).__name__ == kind and text in str(e)), None)
        if refusal:
            return "skip", f"Brian: {refusal} ({first_line(e)})"
        if _results_of_a_later_object(e):
            return "skip", ("Brian: C++ standalone builds and runs a script's project once; this script creates and "
                            f"reads objects after that run (without device.reinit()), whose results do not exist "
                            f"({first_line(e)})")
        if isinstance(e, ModuleNotFoundError) and not (e.name or "").startswith("brian2"):
            return "skip", f"needs the Python module '{e.name}', which is not installed here"
        if type(e).__name__ == "GSLCompileError" or (log and "Project compilation failed" in str(e)
                                                     and _missing_gsl(log)):
            return "skip", ("the script integrates with GSL (method='gsl'), whose headers are not installed here "
                            "(libgsl-dev)")
    return "error", f"{type(exc).__name__}: {first_line(exc)}{script_line(exc, script)}"


def _results_of_a_later_object(exc) -> bool:
    """Brian's standalone device reading, after its project was built and run, the results file of an object made
    afterwards (`get_value` of a device of brian2/devices/: `results/_dynamic_array_...` not found). A plain `python`
    run with set_device('cpp_standalone') fails the same (coupled_oscillators.py, 2.10.1 and 2.11.0)."""
    if not isinstance(exc, FileNotFoundError) or not isinstance(exc.filename, str):
        return False
    frames = traceback.extract_tb(exc.__traceback__)
    inner = frames[-1] if frames else None
    return (inner is not None and inner.name == "get_value"
            and f"{os.sep}brian2{os.sep}devices{os.sep}" in inner.filename
            and os.path.basename(os.path.dirname(exc.filename)) == "results"
            and os.path.basename(exc.filename).startswith(("_dynamic_array_", "_array_")))


def _missing_gsl(log: str) -> bool:
    try:
        with open(log, errors="replace") as f:
            text = f.read()
    except OSError:
        return False
    return "gsl/" in text and "No such file or directory" in text
