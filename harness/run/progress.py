"""Progress of long work: a live bar on a terminal, plain lines in CI logs."""
from __future__ import annotations

import sys
import time


class Progress:
    def __init__(self, stream=None, live: bool | None = None):
        self.stream = stream or sys.stderr
        self.live = self.stream.isatty() if live is None else live
        self._bar = None

    def start(self, total: int):
        self.total, self.done, self.t0 = total, 0, time.perf_counter()
        if self.live and total:
            from rich.console import Console
            from rich.progress import BarColumn, TextColumn, TimeElapsedColumn
            from rich.progress import Progress as RichProgress
            self._bar = RichProgress(TextColumn("{task.description}"), BarColumn(),
                                     TextColumn("{task.completed}/{task.total}"),
                                     TimeElapsedColumn(), console=Console(file=self.stream), transient=True)
            self._bar.start()
            self._task = self._bar.add_task("running cells", total=total)
        else:
            print(f"running {total} worker process(es)", file=self.stream, flush=True)

    def advance(self, job):
        self.done += 1
        status = "ok" if job.arrays is not None else f"ERROR: {job.error[:120]}"
        line = f"[{self.done}/{self.total}] {job.label}: {status} in {job.seconds:.1f} s"
        if self._bar is not None:
            self._bar.console.print(line)
            self._bar.update(self._task, advance=1, description=job.label[:60])
        else:
            print(f"{line} (elapsed {time.perf_counter() - self.t0:.0f} s)", file=self.stream, flush=True)

    def stop(self):
        if self._bar is not None:
            self._bar.stop()
            self._bar = None
