"""Installed versions of Python distributions, for environment records, cache keys and corpus provenance."""
from __future__ import annotations

import importlib.metadata


def installed_version(dist: str) -> str | None:
    """The installed version of distribution `dist` (e.g. "brian2"), or None when it is not installed."""
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return None
