"""How `check` starts a script's runs: the runner with the check's options, each device's seeds, threads that a
stop ends."""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Callable

from ..plumbing import processes
from .script import DeviceRun, DeviceRunner


def parallel(fn, items, jobs: int) -> list:
    """`fn` over `items` in threads; on an interrupt every device process is ended before the threads are awaited
    (no run outlives a stop, and none starts after it)."""
    pool = ThreadPoolExecutor(max_workers=max(1, jobs))
    try:
        return list(pool.map(fn, items))
    except BaseException:
        pool.shutdown(wait=False, cancel_futures=True)
        processes.stop_all()
        raise
    finally:
        pool.shutdown(wait=True)


@dataclass
class Launcher:
    """Runs of one script: `launcher(device, seeds, stat)` calls the runner with every option of the check.

    Seeds: the exact run uses `seed` on every device; in statistical mode the d-th device (in the order the user
    listed them) draws seed + 1000·d + (0 .. k-1), so that the samples are independent."""
    script: str
    runner: DeviceRunner
    devices: list                      # as listed (deduplicated): a device's position picks its seeds
    seed: int
    k: int                             # seeds per device in statistical mode (the first look's, sequentially)
    jobs: int
    say: Callable[[str], None]
    options: dict                      # cap, observe, timeout, cache_dir, args: the keywords of every run
    script_for: dict = field(default_factory=dict)     # device -> another script (negative controls)

    def __call__(self, device: str, seeds: list[int], stat: bool, **extra) -> DeviceRun:
        self.say(f"{device}: {len(seeds)} run(s){' (statistical mode)' if stat else ''}")
        return self.runner(self.script_for.get(device, self.script), device, seeds, stat=stat, **self.options,
                           **extra)

    def seeds(self, device: str, k: int) -> list[int]:
        """The first `k` statistical seeds of `device`."""
        base = self.seed + 1000 * self.devices.index(device)
        return list(range(base, base + k))

    def parallel(self, fn, items) -> list:
        return parallel(fn, items, self.jobs)
