"""One check session (issue 38 item 3): `check` on the command line and the pytest plugin build the same
`check/session.py` Session for the same options and judge a script the same way through it. No Brian: a fake
runner returns what device processes would (the Dask runner and the plugin's cached runner are runners too)."""
from __future__ import annotations

import numpy as np
import pytest

from brian2_harness.check import pytest_plugin, stats
from brian2_harness.check.session import Session, check_script
from brian2_harness.cli import build_parser
from brian2_harness.cli import check as cli_check
from brian2_harness.verdicts import AGREE, AGREE_STAT, ERROR, FAIL, OK, REFERENCE, SKIP

DT, T_END = 1e-4, 0.02
RANDOM = {"poissongroup/rand": [0.1]}


def _observables(add: float) -> dict:
    t = np.arange(0, T_END, DT)
    v = np.vstack([-0.07 + 0.01 * np.sin(2 * np.pi * (k + 1) * 50 * t) for k in range(3)]) + add
    return {"statemonitor.v": {"kind": "state", "dt": DT, "unit": "V", "N": None,
                               "arrays": {"t": t, "values": v, "indices": np.arange(3)}}}


def fake_runner(behaviour: dict):
    """device -> "same" | "differs" | "random" (another stream, same statistics) | "shifted" | "skip" | "error"."""
    from brian2_harness.check.script import DeviceRun, SeedRun

    def runner(script, device, seeds, *, stat=False, perturb=0, **kwargs):
        how = behaviour.get(device, "same")
        if how in ("skip", "error"):
            return DeviceRun(device, how, f"{device}: {how}")
        runs = []
        for s in seeds:
            meta = {"t_end": T_END, "notes": [], "timers": {}}
            if how in ("random", "shifted") or behaviour.get("numpy") == "random":
                meta["random_sources"] = ["poissongroup"]
                meta["stream"] = {"draws": RANDOM if device == "numpy" else {"poissongroup/rand": [0.7]},
                                  "counts": {"poissongroup/rand": 1}, "threads": 0}
            rng = np.random.default_rng(s + (7 if device != "numpy" else 0))
            rate = rng.normal(30.0 if how == "shifted" else 10.0, 1.0)
            runs.append(SeedRun(s, OK, "", {} if stat else _observables(1e-3 if how == "differs" else 0.0), meta, "",
                                {"M: rate": (stats.SCALAR, float(rate), "Hz")}))
        return DeviceRun(device, OK, "", runs)
    return runner


class Config:
    """pytest's config as the plugin reads it: no option given on the command line."""
    def getoption(self, name, default=None):
        return default


def cli_verdicts(tmp_path, behaviour, extra=()) -> dict:
    script = tmp_path / "model.py"
    script.write_text("")
    args = build_parser().parse_args(["check", str(script), "--devices", ",".join(behaviour), "--quiet", *extra])
    results, stopped = cli_check.run_checks(args, list(behaviour), {}, runner=fake_runner(behaviour))
    assert stopped is None and len(results) == 1
    return {d: v.verdict for d, v in results[0].devices.items()}


def plugin_verdicts(tmp_path, behaviour, **call) -> dict:
    script, devices = str(tmp_path / "model.py"), list(behaviour)
    out = {}
    for device in devices:          # one item per device, each against the reference
        session = pytest_plugin.session_for(Config(), devices[0], device, **call)
        out[device] = check_script(session, script, fake_runner(behaviour)).devices[device].verdict
    return out


CASES = {
    "all agree": ({"numpy": "same", "cython": "same", "cpp_standalone": "same"}, (), {}),
    "one differs": ({"numpy": "same", "cython": "same", "cpp_standalone": "differs"}, (), {}),
    "random, equivalent": ({"numpy": "random", "cpp_standalone": "random"}, ("--seeds", "4"), {"seeds": 4}),
    "random, shifted": ({"numpy": "random", "cpp_standalone": "shifted"}, ("--seeds", "4"), {"seeds": 4}),
    "skipped and erroring": ({"numpy": "same", "cython": "skip", "cpp_standalone": "error"}, (), {}),
    "stat mode": ({"numpy": "same", "cython": "shifted"}, ("--mode", "stat", "--seeds", "4"),
                  {"mode": "stat", "seeds": 4}),
}
EXPECTED = {"all agree": [REFERENCE, AGREE, AGREE], "one differs": [REFERENCE, AGREE, FAIL],
            "random, equivalent": [REFERENCE, AGREE_STAT], "random, shifted": [REFERENCE, FAIL],
            "skipped and erroring": [REFERENCE, SKIP, ERROR], "stat mode": [REFERENCE, FAIL]}


@pytest.mark.parametrize("case", sorted(CASES))
def test_the_cli_and_the_plugin_give_the_same_verdicts(tmp_path, case, capsys):
    behaviour, cli_options, call = CASES[case]
    cli = cli_verdicts(tmp_path, behaviour, cli_options)
    plugin = plugin_verdicts(tmp_path, behaviour, **call)
    assert cli == plugin and list(cli.values()) == EXPECTED[case], (cli, plugin)


def test_negative_control_a_different_option_changes_the_verdict(tmp_path, capsys):
    """The comparison above can see a difference: the plugin's item with a loose tolerance agrees where the CLI's
    default tolerance fails."""
    behaviour = {"numpy": "same", "cpp_standalone": "differs"}
    cli = cli_verdicts(tmp_path, behaviour)
    plugin = plugin_verdicts(tmp_path, behaviour, atol=1.0)
    assert cli["cpp_standalone"] == FAIL and plugin["cpp_standalone"] == AGREE


def test_both_build_the_same_session_for_the_same_options(tmp_path):
    script = tmp_path / "model.py"
    script.write_text("")
    args = build_parser().parse_args(["check", str(script), "--devices", "numpy,cython", "--seeds", "4",
                                      "--duration-cap", "100ms", "--quiet"])
    cli = cli_check.session_of(args, ["numpy", "cython"], {})
    plugin = pytest_plugin.session_for(Config(), "numpy", "cython", seeds=4, duration_cap="100ms")
    judging = ("devices", "mode", "seeds", "seed", "alpha", "cap", "observe", "tolerance", "timeout", "min_effect",
               "max_seeds")
    assert {k: getattr(cli, k) for k in judging} == {k: getattr(plugin, k) for k in judging}
    assert cli.options()["reference"] is None and plugin.options()["reference"] == "numpy"


def test_a_harness_problem_is_a_verdict_on_the_command_line_and_raises_in_the_plugin(tmp_path):
    def broken(*args, **kwargs):
        raise RuntimeError("boom")
    result = check_script(Session(devices=["numpy", "cython"]), str(tmp_path / "m.py"), broken)
    assert result.verdict == ERROR and "harness problem: RuntimeError: boom" in result.reason
    with pytest.raises(RuntimeError):
        check_script(Session(devices=["numpy", "cython"], keep_going=False), str(tmp_path / "m.py"), broken)


def test_required_devices_and_steps_are_applied_in_order(tmp_path):
    seen = []
    session = Session(devices=["numpy", "cython"], required=("cython",))
    result = check_script(session, str(tmp_path / "m.py"), fake_runner({"numpy": "same", "cython": "skip"}),
                          (lambda r, s: seen.append(("first", r.verdict)), lambda r, s: seen.append(("second", s))))
    assert result.verdict == FAIL and result.required_missing == ["cython"]
    assert seen == [("first", FAIL), ("second", session)]
