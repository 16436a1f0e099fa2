"""Where the harness keeps what outlives a run: the cache root and the folder for compiled code."""
from __future__ import annotations

import os
from pathlib import Path

CACHE_VAR = "BRIAN2_HARNESS_CACHE"
COMPILED_VAR = "BRIAN2_HARNESS_COMPILED"


def default_cache_dir() -> Path:
    """$BRIAN2_HARNESS_CACHE, else $XDG_CACHE_HOME/brian2-harness, else ~/.cache/brian2-harness."""
    env = os.environ.get(CACHE_VAR)
    if env:
        return Path(env)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "brian2-harness"


def default_compiled_dir() -> Path | None:
    """Where compiled code goes when it should not follow --cache-dir (e.g. a test session sharing it between
    temporary cache dirs): $BRIAN2_HARNESS_COMPILED, else None (inside the cache dir)."""
    env = os.environ.get(COMPILED_VAR)
    return Path(env) if env else None
