"""The campaign's progress bar on a terminal: time spent of the budget, models checked, findings, with the pack lines
printed above it. Not a terminal (CI logs, a pipe) or `--quiet`: the plain pack lines, or nothing."""
from __future__ import annotations

import contextlib
import sys
import threading
from typing import Callable


def wanted(quiet: bool, stream=None) -> bool:
    stream = stream or sys.stdout
    return not quiet and hasattr(stream, "isatty") and stream.isatty()


@contextlib.contextmanager
def bar(budget_s: float, status: Callable[[], str], elapsed: Callable[[], float], console=None):
    """Yields the `say` function of the campaign; the bar redraws itself every half second from `elapsed()` (the
    campaign's own clock, so a resumed campaign's bar starts at this run's zero) and `status()`."""
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
    progress = Progress(TextColumn("fuzz"), BarColumn(), TextColumn("{task.percentage:>3.0f}% of the budget"),
                        TimeElapsedColumn(), TextColumn("{task.description}"), console=console, transient=True)
    task = progress.add_task("", total=max(budget_s, 1e-9))
    done = threading.Event()

    def tick() -> None:
        while not done.wait(0.5):
            with contextlib.suppress(Exception):
                progress.update(task, completed=min(elapsed(), budget_s), description=status())

    with progress:
        ticker = threading.Thread(target=tick, daemon=True, name="fuzz-progress")
        ticker.start()
        try:
            yield lambda text: progress.console.print(text, markup=False, highlight=False)
        finally:
            done.set()
            ticker.join(2)
