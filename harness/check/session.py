"""One check session: the resolved options of a check, and the one way a script is checked with them (check, then
the required devices, then the caller's steps: printing, recording, comparing with a baseline).

Used by `brian2-harness check` (cli/check.py; with `--scheduler` the Dask runner is just another runner) and by the
pytest plugin (its cached runner), so that both judge a script the same way for the same options.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Callable

from ..errors import UsageError
from ..verdicts import ERROR
from .exact import Tolerance
from .records import OPTION_KEYS
from .require import apply_required
from .script import DEFAULT_DEVICES, DeviceRunner, run_device
from .verdict import CheckResult, check


@dataclass
class Session:
    """Everything a check of one script needs besides the script and the runner, resolved and validated."""
    devices: list = field(default_factory=lambda: list(DEFAULT_DEVICES))
    mode: str = "auto"
    seeds: int = 8
    seed: int = 0
    alpha: float = 0.01
    cap: float | None = None               # seconds of simulated time per run() (duration.parse_duration)
    observe: list | None = None
    args: list | None = None               # the script's own arguments
    reference: str | None = None           # None: the first device that runs
    tolerance: Tolerance = field(default_factory=Tolerance)
    timeout: float = 600.0
    jobs: int | None = None
    cache_dir: Path | None = None
    script_for: dict = field(default_factory=dict)
    min_effect: float | None = None
    max_seeds: int | None = None
    required: tuple = ()                   # devices that must run (require.py)
    progress: Callable[[str], None] | None = None
    keep_going: bool = True                # a harness problem is the script's ERROR (else it propagates)

    def options(self) -> dict:
        """The options a baseline records (records.OPTION_KEYS) and `--against` reruns with."""
        return {k: getattr(self, k) for k in OPTION_KEYS}

    def recorded(self, options: dict) -> "Session":
        """This session with a baseline's recorded options (`check --against DIR` reruns as it was recorded)."""
        return replace(self, **{k: options[k] for k in OPTION_KEYS if k in options})


def check_script(session: Session, script: str, runner: DeviceRunner = run_device,
                 steps: tuple[Callable[[CheckResult, Session], None], ...] = ()) -> CheckResult:
    """Check `script` with `runner` (run_device, the plugin's cached runner, the Dask runner): the verdicts, a
    required device that did not run made a failure, then each of `steps` in order. A stop (KeyboardInterrupt) and
    a usage error propagate."""
    s = session
    try:
        result = check(script, s.devices, mode=s.mode, seeds=s.seeds, seed=s.seed, alpha=s.alpha, cap=s.cap,
                       observe=s.observe, tolerance=s.tolerance, timeout=s.timeout, jobs=s.jobs,
                       cache_dir=s.cache_dir, script_for=s.script_for, args=s.args, reference=s.reference,
                       progress=s.progress, runner=runner, min_effect=s.min_effect, max_seeds=s.max_seeds)
    except UsageError:
        raise
    except Exception as exc:      # the harness never crashes on a script: a problem is a verdict
        if not s.keep_going:
            raise
        result = CheckResult(script, ERROR, f"harness problem: {type(exc).__name__}: {exc}", None, {}, {}, "exact")
    apply_required(result, s.required)
    for step in steps:
        step(result, s)
    return result
