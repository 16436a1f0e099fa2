"""`check` on scripts written the way Brian2's users write them (tests/data/styles/; issue 34, items 1 and 2).

One `check` call over the whole folder on numpy, cython and cpp_standalone; every style must end in Brian's verdict:
agree (exactly or statistically), fail, or skip with Brian's own reason, never an error. The expectation of each
script and device is written out below. `device_difference_control.py` is the negative control: its time constant
is 5 % longer on cython only, so the check must FAIL there. `star_import.py` is the README's example: AGREE EXACTLY
on every release (on 2.5.4, 2.6.0 and 2.7.1 it was a harness error: tests/test_script_styles.py).

Runs in `tox -e deep` and in every hist-brian2.* env of tox.ini ([history] tests); results per release are in
docs/script-styles.md.
"""
from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from brian2_harness.cli import main

STYLES = Path(__file__).parent / "data" / "styles"
DEVICES = ("numpy", "cython", "cpp_standalone")
AGREE, AGREE_STAT, FAIL, SKIP, REF = "agree", "agree_stat", "fail", "skip", "reference"
# script -> (the script's verdict, {device: its verdict}, the styles it stands for)
EXPECTED = {
    "star_import.py": (AGREE, {"cython": AGREE, "cpp_standalone": AGREE}, "from brian2 import * (README)"),
    "import_as_b2.py": (AGREE, {"cython": AGREE, "cpp_standalone": AGREE}, "import brian2 as b2"),
    "explicit_names.py": (AGREE, {"cython": AGREE, "cpp_standalone": AGREE}, "explicit names"),
    "network_run.py": (AGREE, {"cython": AGREE, "cpp_standalone": AGREE}, "Network(...) and net.run"),
    # Brian's cpp_standalone does not restart the magic network's time at 0 for a run of only new objects (after
    # start_scope()), as its documentation says and numpy and cython do: spikes_b come 10 ms late (2.5.4 ... 2.11.0)
    "start_scope_networks.py": (FAIL, {"cython": AGREE, "cpp_standalone": FAIL}, "start_scope() and several networks"),
    "main_guard.py": (AGREE, {"cython": AGREE, "cpp_standalone": AGREE}, "if __name__ == '__main__':"),
    "main_function.py": (AGREE, {"cython": AGREE, "cpp_standalone": AGREE}, "main() function"),
    "several_runs.py": (AGREE, {"cython": AGREE, "cpp_standalone": AGREE}, "several run() calls"),
    # Brian's C++ standalone mode has no store()/restore()
    "store_restore.py": (AGREE, {"cython": AGREE, "cpp_standalone": SKIP}, "store() / restore()"),
    "set_device_prefs.py": (AGREE, {"cython": AGREE, "cpp_standalone": AGREE}, "set_device(), prefs in the script"),
    "dt_between_runs.py": (AGREE, {"cython": AGREE, "cpp_standalone": AGREE}, "defaultclock.dt changed between runs"),
    # rand() in generated code: cython draws its own stream (statistically), cpp_standalone numpy's (exactly)
    "seed_call.py": (AGREE_STAT, {"cython": AGREE_STAT, "cpp_standalone": AGREE}, "seed()"),
    "plotting_show.py": (AGREE, {"cython": AGREE, "cpp_standalone": AGREE}, "plotting with show()"),
    "argv_argparse.py": (AGREE, {"cython": AGREE, "cpp_standalone": AGREE}, "sys.argv / argparse"),
    "data_file.py": (AGREE, {"cython": AGREE, "cpp_standalone": AGREE}, "a data file read by a relative path"),
    "module_results.py": (AGREE, {"cython": AGREE, "cpp_standalone": AGREE},
                          "results in module-level numbers, arrays, tuples, dicts, shapes"),
    "device_difference_control.py": (FAIL, {"cython": FAIL, "cpp_standalone": AGREE}, "negative control"),
}
# what the module-level results of module_results.py must be compared as (names as the script binds them)
# (a tuple of numbers is one array; a dict gives NAME.key)
# (`step`, `halved`: bound before the run and rebound after it, `halved` at its old address)
RESULTS = {"n_spikes", "counts", "first_last", "summary.mean_v", "summary.final_v", "shape", "rate_hz", "step",
           "halved"}
NOT_BRIAN = ("harness problem", "reading the results failed", "harness exception", "Traceback")


def test_the_folder_holds_exactly_the_expected_styles():
    assert sorted(p.name for p in STYLES.glob("*.py")) == sorted(EXPECTED)


@pytest.mark.brian
@pytest.mark.deep   # 17 scripts x 3 devices (17 standalone builds): every hist-brian2.* env and tox -e deep run it;
# the CPU suite checks the README's own star-import example (test_check_brian.py) and the probing without Brian
def test_check_over_the_folder(tmp_path):
    """The one Brian test of this module (one item, so that pytest-xdist runs the check once): one `check` over
    the folder, then every assertion below on its document."""
    out = tmp_path / "styles.json"
    code = main(["check", str(STYLES), "--devices", ",".join(DEVICES), "--seeds", "4", "--quiet",
                 "--json", str(out)])
    document = json.loads(out.read_text())
    document["exit"] = code
    every_style_gives_brians_verdict(document)
    the_readme_example_agrees_exactly(document)
    module_level_results_are_compared(document)
    the_negative_control_names_the_difference(document)


def every_style_gives_brians_verdict(document):
    scripts = {os.path.basename(s["script"]): s for s in document["scripts"]}
    assert set(scripts) == set(EXPECTED)
    wrong = []
    for name, (verdict, devices, style) in EXPECTED.items():
        s = scripts[name]
        got = {d: v["verdict"] for d, v in s["devices"].items()}
        want = {"numpy": REF, **devices}
        if s["verdict"] != verdict or got != want:
            reasons = "; ".join(f"{d}: {v['verdict']}: {v['reason'][:200]}" for d, v in s["devices"].items())
            wrong.append(f"{name} ({style}): expected {verdict} {want}, got {s['verdict']} {got} ({reasons})")
        for d, v in s["devices"].items():
            if v["verdict"] == SKIP and not v["reason"].startswith(("Brian:", "standalone:")):
                wrong.append(f"{name} ({style}): {d} skipped for a reason that is not Brian's: {v['reason']}")
            if any(x in v["reason"] for x in NOT_BRIAN):
                wrong.append(f"{name} ({style}): {d}: {v['reason'][:300]}")
    assert not wrong, "\n".join(wrong)
    assert document["exit"] == 1       # the negative control (and start_scope) fail: the exit status is 1


def the_readme_example_agrees_exactly(document):
    s = next(s for s in document["scripts"] if s["script"].endswith("star_import.py"))
    assert s["verdict"] == AGREE and s["mode"] == "exact"
    assert {d: v["verdict"] for d, v in s["devices"].items()} == {"numpy": REF, "cython": AGREE,
                                                                   "cpp_standalone": AGREE}


def module_level_results_are_compared(document):
    s = next(s for s in document["scripts"] if s["script"].endswith("module_results.py"))
    for device in ("cython", "cpp_standalone"):
        compared = {h["observable"] for h in s["devices"][device]["headroom"]}
        assert compared == {"spikes", "trace.v"} | RESULTS, (device, compared)
        assert all(h["agree"] for h in s["devices"][device]["headroom"])


def the_negative_control_names_the_difference(document):
    s = next(s for s in document["scripts"] if s["script"].endswith("device_difference_control.py"))
    assert s["devices"]["cython"]["verdict"] == FAIL
    assert "trace.v" in s["devices"]["cython"]["reason"] or "spikes" in s["devices"]["cython"]["reason"]


@pytest.mark.brian
def test_what_a_star_import_binds_is_not_a_result_of_the_script():
    """`from brian2 import *` (+ pylab) binds ~460 unit constants, DEFAULT_UNITS and rcParams: a script without
    monitors was compared on those (663 of Brian 2.10.1's cylinder.py's 673 'observables'). Only what it made."""
    from brian2_harness.check import collect
    ns: dict = {"__name__": "__main__"}
    exec("from brian2 import *\nEL = -70*mV\nv = linspace(0, 1, 5)*mV\nalias = mV\n", ns)
    assert len(collect.imported(ns)) > 400
    assert set(collect.read_globals(ns, [])) == {"globals.EL", "globals.v", "globals.alias"}
