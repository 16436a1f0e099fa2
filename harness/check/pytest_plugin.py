"""pytest plugin (entry point ``pytest11``): test your own Brian2 model on every device, one item per device.

    import pytest

    @pytest.mark.brian2_devices("numpy", "cython", "cpp_standalone")
    def test_my_model(brian2_check):
        brian2_check("my_model.py", duration_cap="100ms")

gives ``test_my_model[numpy]`` (the reference: the script must run), ``test_my_model[cython]`` and
``test_my_model[cpp_standalone]`` (each compared with the reference: exactly, or statistically when generated
code draws random numbers). A device where Brian refuses the script, or that cannot run on this machine, is a pytest
skip with the reason; a device that can only be built here (cuda_standalone without a GPU) is a skip saying "built,
not run" (never a pass); a difference or an error fails the item with the reason. A *required* device that did not
run fails instead of skipping: ``--brian2-require cuda_standalone`` or
``@pytest.mark.brian2_devices("numpy", "cuda_standalone", require=["cuda_standalone"])`` (``require=True``: every
device of the marker); a required device the test's devices do not include fails every item of the test (it did
not run). An unknown device in ``--brian2-require``/``--brian2-devices`` and ``--brian2-regen`` without
``--brian2-baseline`` are usage errors. The call returns the `CheckResult`.

The reference's runs are cached in pytest's cache folder (keyed by the script, every module it imported from its
folder and every file it read there, the environment and the options: plugin_cache.py; locked;
with ``-p no:cacheprovider`` in the check cache, ~/.cache/brian2-harness/check/pytest),
so with pytest-xdist every item runs in its own worker and the reference is computed once. JUnit XML comes from
pytest itself (``--junitxml``). Options: ``--brian2-devices`` (overrides the markers), ``--brian2-seeds``,
``--brian2-duration-cap``, ``--brian2-require``, ``--brian2-fresh-processes`` (a fresh interpreter per device call
instead of the process server of check/servers.py, which this pytest process keeps across tests);
``--brian2-baseline DIR`` compares each device with its recorded baseline (as ``check --against``; a missing
baseline is recorded and the item fails once), ``--brian2-regen`` records them anew. Scripts are found relative to
the test file. Nothing here imports Brian.
"""
from __future__ import annotations

from functools import partial
from pathlib import Path

import pytest

from brian2_harness.commalist import comma_list
from brian2_harness.errors import UsageError

from ..verdicts import AGREE, AGREE_STAT, BUILT, ERROR, FAIL, OK, REFERENCE, SKIP
from .plugin_cache import cached_runner
from .script import DEFAULT_DEVICES, default_cache_dir, known_devices, run_device

MARKER = "brian2_devices"


def pytest_addoption(parser):
    group = parser.getgroup("brian2-check", "brian2-harness check (brian2_check fixture)")
    group.addoption("--brian2-devices", default=None, help="devices for brian2_check tests, comma-separated "
                    "(the first is the reference; overrides @pytest.mark.brian2_devices)")
    group.addoption("--brian2-seeds", type=int, default=None, help="seeds per device in statistical mode")
    group.addoption("--brian2-duration-cap", default=None, help="cut every run() of the scripts, e.g. 100ms")
    group.addoption("--brian2-baseline", default=None, metavar="DIR", help="compare every device of brian2_check "
                    "with its recorded baseline in DIR (a missing one is recorded and the item fails once)")
    group.addoption("--brian2-regen", action="store_true", default=False,
                    help="with --brian2-baseline: (re)record the baselines instead of comparing with them")
    group.addoption("--brian2-fresh-processes", action="store_true", default=False,
                    help="a fresh Python interpreter per device call instead of a process server (same results)")
    group.addoption("--brian2-require", default=None, help="devices that must run, comma-separated: one that did "
                    "not (unavailable, skipped, only built because there is no GPU) fails instead of skipping")


def _check_options(config) -> None:
    """Usage errors of the plugin's options, before any test runs (pytest prints them and exits 4)."""
    for option in ("--brian2-devices", "--brian2-require"):
        for d in comma_list(config.getoption(option, default=None) or ""):
            if d not in known_devices():
                raise pytest.UsageError(f"{option}: unknown device '{d}' (known: {', '.join(known_devices())})")
    if config.getoption("--brian2-regen", default=False) and not config.getoption("--brian2-baseline", default=None):
        raise pytest.UsageError("--brian2-regen: only with --brian2-baseline DIR (the folder whose baselines are "
                                "recorded anew)")


def pytest_configure(config):
    _check_options(config)
    config.addinivalue_line("markers", f"{MARKER}(*devices, reference=None, require=()): devices on which the "
                            "brian2_check fixture runs the script (one test item per device; the first is the "
                            "reference); `require`: devices that must run (True: all), else they fail")


def _devices(config, node) -> tuple[list[str], str]:
    option = config.getoption("--brian2-devices", default=None)
    marker = node.get_closest_marker(MARKER)
    if option:
        devices = comma_list(option)
    elif marker and marker.args:
        devices = list(marker.args)
    else:
        devices = list(DEFAULT_DEVICES)
    reference = (marker.kwargs.get("reference") if marker else None) or devices[0]
    if reference not in devices:
        devices.insert(0, reference)
    return devices, reference


def _required(config, node, devices) -> set[str]:
    """Devices that must run: --brian2-require plus the marker's `require` (True: every device of the marker)."""
    out = set(comma_list(config.getoption("--brian2-require", default=None) or ""))
    marker = node.get_closest_marker(MARKER)
    require = marker.kwargs.get("require", ()) if marker else ()
    if require is True:
        out |= set(devices)
    elif isinstance(require, str):
        out |= set(comma_list(require))
    elif require:
        out |= set(require)
    return out


def _not_run(device: str, reason: str, required: bool):
    """A device that did not run: a failure when it is required, else a skip (a built device never passes)."""
    if required:
        pytest.fail(f"{device} is required but did not run: {reason}", pytrace=False)
    pytest.skip(f"{device}: {reason}")


def pytest_generate_tests(metafunc):
    if "brian2_device" in metafunc.fixturenames:
        devices, _ = _devices(metafunc.config, metafunc.definition)
        metafunc.parametrize("brian2_device", devices, ids=devices)


def session_for(config, reference: str, device: str, *, mode: str = "auto", seeds: int | None = None,
                duration_cap=None, observe=None, alpha: float = 0.01, rtol: float | None = None,
                atol: float | None = None, max_spike_mismatch: int = 0, timeout: float = 600.0,
                min_effect: float | None = None):
    """The check session of one item (`device` against `reference`): the call's options, else the plugin's."""
    from .duration import parse_duration
    from .exact import Tolerance
    from .session import Session
    cap = duration_cap or config.getoption("--brian2-duration-cap", default=None)
    return Session(devices=[reference] if device == reference else [reference, device], mode=mode,
                   seeds=seeds or config.getoption("--brian2-seeds", default=None) or 8, alpha=alpha,
                   cap=parse_duration(cap) if isinstance(cap, str) else cap, observe=observe, reference=reference,
                   jobs=1, min_effect=min_effect, timeout=timeout, keep_going=False,
                   tolerance=Tolerance(rtol=rtol, atol=atol, max_spike_mismatch=max_spike_mismatch))


class Brian2Check:
    """The `brian2_check` fixture: call it with a script path."""

    def __init__(self, request, device: str):
        self.request, self.device = request, device
        self.devices, self.reference = _devices(request.config, request.node)
        self.required = _required(request.config, request.node, self.devices)

    def __call__(self, script, *, observe=None, mode: str = "auto", seeds: int | None = None, duration_cap=None,
                 alpha: float = 0.01, rtol: float | None = None, atol: float | None = None,
                 max_spike_mismatch: int = 0, timeout: float = 600.0, min_effect: float | None = None):
        from .session import check_script
        config = self.request.config
        absent = sorted(self.required - set(self.devices))
        if absent:             # a required device this test never runs did not run: a failure, never a green test
            pytest.fail(f"required device(s) {', '.join(absent)} did not run: not among this test's devices "
                        f"({', '.join(self.devices)})", pytrace=False)
        path = Path(script)
        if not path.is_absolute():
            path = Path(str(self.request.node.fspath)).parent / path
        fresh = bool(config.getoption("--brian2-fresh-processes", default=False))
        runner = cached_runner(Path(config.cache.mkdir("brian2_check")) if getattr(config, "cache", None) else
                               default_cache_dir() / "pytest", run=partial(run_device, fresh=True) if fresh else
                               run_device)
        session = session_for(config, self.reference, self.device, mode=mode, seeds=seeds, duration_cap=duration_cap,
                              observe=observe, alpha=alpha, rtol=rtol, atol=atol,
                              max_spike_mismatch=max_spike_mismatch, timeout=timeout, min_effect=min_effect)
        baseline = config.getoption("--brian2-baseline", default=None)
        result = check_script(session, str(path), runner, (partial(self._baseline_step, Path(baseline)),)
                              if baseline else ())
        mine = result.devices.get(self.device)
        required = self.device in self.required
        if self.device == self.reference:
            run = result.runs.get(self.device)
            if run is not None and run.status in (SKIP, BUILT):
                _not_run(self.device, f"{run.reason}", required)
            if run is None or run.status != OK:
                pytest.fail(f"{self.device} (reference): {run.reason if run else 'did not run'}", pytrace=False)
            return result
        ref_run = result.runs.get(self.reference)
        if ref_run is not None and ref_run.status != OK:
            if ref_run.status in (SKIP, BUILT):
                _not_run(self.device, f"reference {self.reference} did not run: {ref_run.reason}", required)
            pytest.fail(f"reference {self.reference} did not run: {ref_run.reason}", pytrace=False)
        if mine is None:
            pytest.fail(f"{self.device}: no verdict", pytrace=False)
        if mine.verdict in (SKIP, BUILT):
            _not_run(self.device, mine.reason, required)
        if mine.verdict in (FAIL, ERROR):
            pytest.fail(f"{self.device} vs {self.reference}: {mine.verdict}: {mine.reason}", pytrace=False)
        assert mine.verdict in (AGREE, AGREE_STAT, REFERENCE), mine
        return result

    def _baseline_step(self, baseline: Path, result, session) -> None:
        """--brian2-baseline: compare this item's device with its recording (or record it); a problem fails it."""
        from .script_baseline import plugin_step
        regen = bool(self.request.config.getoption("--brian2-regen", default=False))
        try:
            problem = plugin_step(result, self.device, baseline, session.options(), regen, session.tolerance,
                                  session.alpha)
        except UsageError as exc:          # an unreadable or foreign baseline: one line, no traceback
            problem = f"--brian2-baseline: {exc}"
        if problem:
            pytest.fail(problem, pytrace=False)


@pytest.fixture
def brian2_device(request):
    """The device of this test item (parametrized by the plugin)."""
    return request.param


@pytest.fixture
def brian2_check(request, brian2_device):
    """Callable: brian2_check("model.py", duration_cap="100ms", observe=[...], mode="auto") -> CheckResult."""
    return Brian2Check(request, brian2_device)
