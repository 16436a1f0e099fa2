"""Every built-in variant on every CPU device against its oracle, with generated connectivity.

Many generated cases share one build (batching), so a Hypothesis example costs one build per cell.
"""
import json

import pytest
from helpers import cells, problems, run_matrix
from sets import growth_set

from brian2_harness.cli import main
from brian2_harness.families.growth.case import Case, default_case

pytestmark = pytest.mark.brian


# float32 on cython and cpp_standalone_omp: the `deep` tests (tox -e deep), and the main job (tox -e matrix, every
# built-in on every CPU device in both dtypes) verifies them too; the default suite keeps numpy and cpp_standalone.
DTYPE_DEVICES = [
    pytest.param("float64", ("numpy", "cython", "cpp_standalone", "cpp_standalone_omp"), id="float64"),
    pytest.param("float32", ("numpy", "cpp_standalone"), id="float32"),
    pytest.param("float32", ("cython", "cpp_standalone_omp"), id="float32-cython-omp", marks=pytest.mark.deep),
]


@pytest.mark.parametrize("dtype,devices", DTYPE_DEVICES)
def test_builtin_variants_pass_on_every_cpu_device(dtype, devices):
    """The generated set (tests/sets.py: in-degree >= 30, multapses, weights 1e-6..1e6 in one case, negative
    growth, 60,000 steps, dyadic boundary cases) on every built-in variant and CPU device."""
    cases = [c.replace(dtype=dtype) for c in growth_set()]
    result = run_matrix(cases, dtypes=(dtype,), devices=list(devices))
    assert not problems(result)
    for device in devices:
        assert len(cells(result, "pass", device=device, variant="summed_aligned")) == len(cases)
    ran = [v for v in result.verdicts if v.verdict == "pass"]
    nonempty = {c.name for c in cases if c.i}
    assert all(v.detection_limit is not None for v in ran if v.case_id in nonempty)
    assert sum(v.judged for v in ran) > sum(v.boundary for v in ran)      # most clip decisions are judged
    if dtype == "float64":    # every float64 cell with growth sees a one-step lag
        assert all(v.lag_visible for v in ran if v.lag_visible is not None)


def test_zero_synapse_networks_run_on_purpose():
    """brian2 2.10.1 raises on connect(i=[], j=[]); a batch of only empty cases must still run and pass."""
    empty = [Case(n_pre=3, n_post=2, period=0.01, duration=0.02), Case(n_pre=1, n_post=1, period=0.01, duration=0.02)]
    result = run_matrix(empty, variants=["summed_aligned", "netop_reference"])
    assert not problems(result)
    assert len(cells(result, "pass")) == 2 * 4 + 2 * 2


def test_seed_against_aligned_oracle_shows_the_lag(tmp_path):
    out = tmp_path / "r.json"
    rc = main(["run", "--variants", "summed_seed", "--devices", "numpy,cpp_standalone", "--cases", "0",
               "--default-case", "--against", "aligned", "--json", str(out), "--quiet"])
    assert rc == 1
    doc = json.loads(out.read_text())
    assert doc["summary"]["fail"] == 2
    for cell in doc["cells"]:
        assert cell["max_abs_err"] == pytest.approx(1e-5, rel=1e-3)          # g*dt per weight
        assert "one-step schedule lag" in cell["reason"]
        assert "off by 8e-05" in cell["reason"]                               # total: N_in * g * dt, N_in = 8
        assert cell["lag_visible"] is True and cell["detection_limit"]["max"] < 1e-5
        assert cell["extra"]["case"]["name"] == "default"


def test_devices_agree_without_an_oracle():
    """A variant with no semantics is checked device against device, numpy/float64 as the reference (the judging
    does not depend on which compiled device is compared; cython and OpenMP are checked against the oracle)."""
    result = run_matrix([default_case()], variants=["mutant_aligned_no_oracle"], devices=["numpy", "cpp_standalone"],
                        dtypes=("float64", "float32"))
    assert not problems(result)
    ref = cells(result, device="numpy", dtype="float64")
    assert ref and ref[0].verdict == "pass" and ref[0].reference == "(reference)"
    assert cells(result, "pass", device="cpp_standalone", dtype="float32")[0].reference == "device:numpy/float64"


def test_failing_cases_of_a_batch_are_isolated_and_replayable(tmp_path):
    """In a batch where only some cases fail, exactly those are re-run alone and get a replay command."""
    from brian2_harness.cli import main as cli_main
    lagging = default_case().replace(name="lags")                                  # normalization acts: lag visible
    # same schedule: one batch; never above B: no lag
    quiet = Case(n_pre=1, n_post=1, i=[0], j=[0], w0=[1.0], g=0.0, name="quiet")
    cases = tmp_path / "cases.json"
    cases.write_text(json.dumps([lagging.to_dict(), quiet.to_dict()]))
    out = tmp_path / "r.json"
    rc = cli_main(["run", "--case-file", str(cases), "--variants", "summed_seed", "--devices", "numpy",
                   "--against", "aligned", "--json", str(out), "--quiet", "--cache-dir", str(tmp_path / "c")])
    assert rc == 1
    by = {c["case_id"]: c for c in json.loads(out.read_text())["cells"]}
    assert by["quiet"]["verdict"] == "pass"
    bad = by["lags"]
    assert bad["verdict"] == "fail" and bad["extra"]["alone"] == "fail"
    replay = bad["extra"]["replay"].split()
    assert replay[:3] == ["brian2-harness", "run", "--case-file"] and "--against" in replay
    # the replay command as written re-checks what failed: the same comparison, the same failure
    again = tmp_path / "again.json"
    assert cli_main(replay[1:] + ["--quiet", "--cache-dir", str(tmp_path / "c"), "--json", str(again)]) == 1
    (cell,) = json.loads(again.read_text())["cells"]
    assert (cell["verdict"], cell["reference"], cell["max_abs_err"]) == ("fail", bad["reference"], bad["max_abs_err"])


def test_a_failure_against_the_numpy_peer_is_replayed_with_the_peer(tmp_path):
    """A cell that agrees with the oracle but not with numpy is re-run alone *with* numpy, and its replay
    command includes numpy, so the failing comparison is the one re-made."""
    from brian2_harness.cells.verdict import Verdict
    from brian2_harness.run import RunConfig
    from brian2_harness.run.isolate import isolate_failures
    v = Verdict("summed_seed", "cpp_standalone", "float32", "c1", "fail", reference="device:numpy/float32",
                reason="disagrees with numpy: event 0 ...", extra={"case": default_case().to_dict()})
    cfg = RunConfig(variants=["summed_seed"], devices=["numpy", "cpp_standalone"], dtypes=["float32"], cases=[],
                    against="aligned", plugins=["x.py"], isolate_failures=0)
    isolate_failures([v], [], cfg, run_job=None)
    cmd = v.extra["replay"]
    assert "--devices cpp_standalone,numpy" in cmd and "--against aligned" in cmd and "--plugin x.py" in cmd
    assert "--dtype float32" in cmd
