"""The sandbox's seeds: numpy (and Python's `random`) get the run's seed before the script; standalone binaries
reseed Brian's generators from the environment variable SEED_VAR (standalone.py). In statistical mode the script's
own `seed(s)` / `np.random.seed(s)` calls are replaced by a seed derived from (s, run seed), so that K runs are K
different samples.
"""
from __future__ import annotations

import os
import sys
import zlib

from .standalone import SEED_VAR


def derived_seed(script_seed, run_seed: int) -> int:
    """The seed that replaces a script's own seed call in statistical mode (deterministic, per run seed)."""
    return zlib.crc32(f"{script_seed!r}/{run_seed}".encode()) & 0x7FFFFFFF


def install(sandbox, brian2, np) -> None:
    """Seed the run and intercept the script's own seed() / numpy.random.seed() calls."""
    devmod = sys.modules["brian2.devices.device"]     # (brian2.devices.device is the device proxy)
    real_seed, real_np_seed = devmod.seed, np.random.seed
    sandbox._real_np_seed = real_np_seed
    sandbox._real_seed = real_seed
    reseed(sandbox, sandbox.seed)
    if not sandbox.standalone:
        real_seed(sandbox.seed)        # numpy state and Brian's buffers
    os.environ[SEED_VAR] = str(sandbox.seed)

    inside = []      # Brian's seed() calls numpy.random.seed itself: not a second script seed

    def script_seed(seed=None):
        sandbox.script_seeded = True
        new = derived_seed(seed, sandbox.seed) if sandbox.stat else seed
        if sandbox.stat:
            sandbox.note(f"statistical mode: the script's seed({seed}) ran as seed({new})")
        inside.append(1)
        try:
            return real_seed(new)
        finally:
            inside.pop()

    def script_np_seed(seed=None):
        if inside:
            return real_np_seed(seed)
        sandbox.script_seeded = True
        if not sandbox.stat:
            return real_np_seed(seed)
        new = derived_seed(seed, sandbox.seed)
        sandbox.note(f"statistical mode: the script's numpy.random.seed({seed}) ran as seed({new})")
        return real_np_seed(new)

    for mod in (brian2, devmod):
        mod.seed = script_seed
    np.random.seed = script_np_seed


def reseed(sandbox, seed: int) -> None:
    """numpy's global generator and Python's `random`, as before the script (also in a standalone branch)."""
    import random
    sandbox._real_np_seed(seed)
    random.seed(seed)
    from .branches import state_digest
    sandbox.seeded_state = state_digest()


def again(sandbox) -> None:
    """Seed a later run in the same process (warm.py) as `install` seeded the first: Brian's `seed()` (numpy and
    its random buffers) calls numpy's seed, which must be the real one here, not the script's intercepted one."""
    import numpy as np
    reseed(sandbox, sandbox.seed)
    if not sandbox.standalone:
        intercepted, np.random.seed = np.random.seed, sandbox._real_np_seed
        try:
            sandbox._real_seed(sandbox.seed)
        finally:
            np.random.seed = intercepted
    os.environ[SEED_VAR] = str(sandbox.seed)
