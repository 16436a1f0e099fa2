"""A device under another installed Brian2 release: `numpy@2.9.0` is the numpy device run by the interpreter of an
environment that has brian2 2.9.0 (and this harness) installed, so that one `check` or `fuzz` compares a release
with another the way it compares devices: same script, same seed, same comparison.

The release is an environment, not a behaviour: `catalog.get_device("numpy@2.9.0")` is the numpy Device, and only
the process that runs the script (check's process server or fresh interpreter) differs. Where a release's
interpreter is found, in this order: RELEASES_VAR (`X=PYTHON,Y=PYTHON`; `check`/`fuzz --release-python X=PYTHON`
set it for the process and everything it starts), then tox's hist env `.tox/hist-brian2.X/bin/python` in the
working folder. An interpreter is used only once it has answered which brian2 it imports and that it imports
this harness: a wrong or broken one makes the device unavailable with the reason, never a run under the wrong
release.
"""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import threading

from brian2_harness.errors import UsageError
from brian2_harness.versions import installed_version

RELEASES_VAR = "BRIAN2_HARNESS_RELEASES"
SEPARATOR = "@"
RELEASE_PATTERN = re.compile(r"^\d+(\.\d+){1,3}([a-z]+\d*)?$")
ANSWER_TIMEOUT_S = 120.0
_ASK = ("import json, brian2, brian2_harness.versions as v; "
        "print(json.dumps(dict(v.core_versions(), brian2_harness=v.installed_version('brian2_harness'))))")


def split(device: str) -> tuple[str, str | None]:
    """('numpy', '2.9.0') for 'numpy@2.9.0', ('numpy', None) for 'numpy'."""
    base, sep, release = device.partition(SEPARATOR)
    return base, (release if sep else None)


def base_name(device: str) -> str:
    return split(device)[0]


def release_of(device: str) -> str | None:
    return split(device)[1]


def check_release(release: str, field: str) -> str:
    if not RELEASE_PATTERN.match(release or ""):
        raise UsageError(f"{field}: '{release}' is not a Brian2 release (expected a version such as 2.9.0)")
    return release


def parse_pairs(value: str, field: str) -> dict[str, str]:
    """{'2.9.0': '/path/python'} from 'X=PYTHON,Y=PYTHON' (empty: {})."""
    pairs: dict[str, str] = {}
    for item in [p.strip() for p in (value or "").split(",") if p.strip()]:
        release, sep, python = item.partition("=")
        if not sep or not python.strip():
            raise UsageError(f"{field}: expected RELEASE=PYTHON (e.g. 2.9.0=/venvs/b2.9/bin/python), got '{item}'")
        pairs[check_release(release.strip(), field)] = python.strip()
    return pairs


def configure(pairs: list[str], field: str = "--release-python") -> None:
    """Add `--release-python X=PYTHON` pairs to RELEASES_VAR (inherited by every process this one starts)."""
    known = parse_pairs(os.environ.get(RELEASES_VAR, ""), RELEASES_VAR)
    for pair in pairs:
        for release, python in parse_pairs(pair, field).items():
            if not os.path.isfile(python) or not os.access(python, os.X_OK):
                raise UsageError(f"{field}: {python} (for brian2 {release}) is not an executable file")
            known[release] = os.path.abspath(python)
    if known:
        os.environ[RELEASES_VAR] = ",".join(f"{r}={p}" for r, p in known.items())


def candidates(release: str) -> list[str]:
    """Interpreters that may hold `release`, in the order they are tried."""
    given = parse_pairs(os.environ.get(RELEASES_VAR, ""), RELEASES_VAR).get(release)
    if given:
        return [given]
    return [os.path.abspath(os.path.join(".tox", f"hist-brian2.{release}", "bin", "python"))]


_ANSWERS: dict[str, tuple[dict | None, str]] = {}
_LOCK = threading.Lock()


def _ask(python: str) -> tuple[dict | None, str]:
    """(its library versions, versions.core_versions(), '') or (None, why) for an interpreter; asked once per
    process (it imports brian2: seconds)."""
    with _LOCK:
        if python in _ANSWERS:
            return _ANSWERS[python]
    if not os.path.isfile(python):
        answer: tuple[dict | None, str] = (None, f"{python} does not exist")
    else:
        try:
            proc = subprocess.run([python, "-c", _ASK], capture_output=True, text=True, timeout=ANSWER_TIMEOUT_S,
                                  stdin=subprocess.DEVNULL)
            lines = proc.stdout.strip().splitlines()
            if proc.returncode == 0 and lines:
                answer = (json.loads(lines[-1]), "")
            else:
                last = (proc.stderr.strip().splitlines() or ["no output"])[-1]
                answer = (None, f"{python} cannot import brian2 and brian2_harness ({last[:200]})")
        except (OSError, subprocess.TimeoutExpired, ValueError) as exc:
            answer = (None, f"{python} did not answer ({exc})")
    with _LOCK:
        _ANSWERS[python] = answer
    return answer


def interpreter(device: str) -> tuple[str | None, str]:
    """(python, '') that runs `device`: this interpreter for a plain name, the release's for `name@X`; or (None,
    why it is unavailable)."""
    release = release_of(device)
    if release is None:
        return sys.executable, ""
    tried = []
    for python in candidates(release):
        versions, why = _ask(python)
        version = (versions or {}).get("brian2")
        harness, here = (versions or {}).get("brian2_harness"), installed_version("brian2_harness")
        if version == release and harness == here:
            return python, ""
        tried.append(why or (f"{python} has brian2 {version}, not {release}" if version != release else
                             f"{python} has brian2_harness {harness}, not this one's {here} (install this checkout "
                             f"there: the job format is this version's)"))
    return None, (f"no interpreter with brian2 {release}: {'; '.join(tried)} (name one with --release-python "
                  f"{release}=PYTHON or {RELEASES_VAR}, or create tox's hist-brian2.{release} env)")


def versions_of(device: str) -> dict | None:
    """The library versions (versions.core_versions) of the interpreter that runs a release device; None for a
    plain name (this process's) or an unavailable release."""
    python, _ = interpreter(device) if release_of(device) is not None else (None, "")
    return _ask(python)[0] if python else None


def python_for(device: str) -> str:
    """The interpreter of a device already found available (probe); this one's for a plain name."""
    python, why = interpreter(device)
    if python is None:
        raise RuntimeError(why)
    return python
