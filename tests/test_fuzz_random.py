"""Stochastic models and packs (no Brian): the strategy's features at their shares and read back from the script,
one random call per code object, a monitor in every model; the pack draw that leaves stored campaigns' packs as
they were; statistical rejections attributed to the model their observable names."""
from __future__ import annotations

import hashlib
import re

from hypothesis import given, settings
from hypothesis import seed as hseed

from brian2_harness.check.exact import Comparison, ExactResult
from brian2_harness.check.pairs import Pair
from brian2_harness.check.script import DeviceRun
from brian2_harness.check.stats import StatResult, StatTest
from brian2_harness.check.verdict import AGREE_STAT, FAIL, REFERENCE, CheckResult, DeviceVerdict
from brian2_harness.fuzz import campaign, differential, emit, features, generate, random_models

SHARES = features.shares()
# the shares a campaign stored before stochastic packs existed (main's defaults at 81fcd31): its state.json
STORED = {"int_vars": 0.8, "floordiv": 0.6, "mod": 0.5, "var_divisor": 0.3, "power": 0.3, "mixing": 0.5,
          "exact_float": 0.6, "float_floordiv": 0.3, "functions": 0.6, "ode": 0.8, "threshold": 0.6,
          "refractory": 0.4, "short_refractory": 0.25, "run_regularly": 0.7, "synapses": 0.4, "on_post": 0.4,
          "delays": 0.5, "summed": 0.3, "several_runs": 0.5}
# sha256 of emit.pack(models, runs) for gen_seed 0..4 (seed 0, packs 0..4, 4 models each) under STORED, computed
# with main's code (81fcd31) before stochastic packs were added
STORED_DIGEST = "fcd8a4156a062221243c4400a333dd15158036c200e81b9edb9441d8873931cc"   # main before, local constants off
RANDOM_CALL = re.compile(r"\b(rand|randn|poisson)\(|\bxi\b|_binom\(\)")


def _sample(shares: dict, n: int = 300, at: int = 5) -> list:
    out: list = []

    @hseed(at)
    @settings(max_examples=n, deadline=None, database=None)
    @given(random_models.stochastic_model(shares))
    def collect(m):
        out.append(m)
    collect()
    return out


def test_stored_campaigns_draw_exactly_the_packs_they_drew_before():
    """A campaign resumed from a state.json written before stochastic packs (its shares lack them) draws the same
    scripts, and none of its packs is stochastic."""
    h = hashlib.sha256()
    for p in range(5):
        drawn, runs, stochastic = campaign.draw_pack(0, p, 4, dict(STORED))
        assert not stochastic
        h.update(emit.pack([m for _, m in drawn], runs).encode())
    assert h.hexdigest() == STORED_DIGEST


def test_stochastic_packs_are_drawn_at_their_share_from_the_packs_seed():
    assert not any(campaign.stochastic_pack(gs, dict(SHARES, stochastic_packs=0.0)) for gs in range(300))
    assert all(campaign.stochastic_pack(gs, dict(SHARES, stochastic_packs=1.0)) for gs in range(300))
    share = sum(campaign.stochastic_pack(gs, SHARES) for gs in range(1000)) / 1000
    assert abs(share - SHARES["stochastic_packs"]) < 0.05
    drawn, runs, stochastic = campaign.draw_pack(3, 0, 3, dict(SHARES, stochastic_packs=1.0))
    assert stochastic and len(drawn) == 3
    assert campaign.draw_pack(3, 0, 3, dict(SHARES, stochastic_packs=1.0)) == (drawn, runs, stochastic)


def test_features_appear_at_roughly_their_share_and_are_read_back_from_the_script():
    models = _sample(SHARES)
    n = len(models)
    used = [set(features.used(emit.script(m, (10,)))) for m in models]
    expected = {name: SHARES[name] for name in random_models.MODEL_FEATURES}
    expected["rand_eqs"] *= (1 - SHARES["xi_noise"]) * (1 - (1 - SHARES["rand"]) * (1 - SHARES["randn"]))
    expected["stochastic_rate_monitor"] *= 1 - (1 - SHARES["threshold"]) * (1 - SHARES["poisson_group"])    # spikes
    for name, share in expected.items():
        got = sum(name in u for u in used) / n
        assert abs(got - share) < 0.15, (name, got, share)
    assert sum("stochastic_packs" in u for u in used) / n > 0.9          # any random number at all


def test_a_share_of_zero_removes_a_feature():
    off = ("rand", "binomial", "poisson_group", "xi_noise")
    for m in _sample(dict(SHARES, **{k: 0.0 for k in off}), n=120):
        used = features.used(emit.script(m, (10,)))
        assert not set(off) & set(used), m.lines


def test_every_model_has_a_monitor_compiles_and_draws_once_per_code_object():
    """A monitor (statistics to compare) in every model; each code string holds at most one random call (numpy
    draws a vector per call, cython/C++ a value per neuron: two calls in one code object would give the same
    stream's values to other neurons, a false alarm of the exact comparison); xi never with a random subexpression."""
    regimes = set()
    for m in _sample({name: 1.0 for name in SHARES}, n=150) + _sample(SHARES, n=150, at=6):
        assert generate.observable(m)
        text = emit.pack([m, m], (10, 5))
        compile(text, "pack.py", "exec")
        for line in m.lines:
            if line.startswith("@G = NeuronGroup("):
                eqs = re.search(r"NeuronGroup\(\d+, '([^']*)'", line).group(1)
                assert not ("xi" in eqs and "constant over dt" in eqs), line
                for key in ("threshold", "reset"):
                    code = re.search(rf"{key}='([^']*)'", line)
                    assert code is None or len(RANDOM_CALL.findall(code.group(1))) <= 1, line
            elif "run_regularly(" in line or re.match(r"@G\.v = ", line):
                assert len(RANDOM_CALL.findall(line.split("'")[1])) <= 1, line
        for bn, bp, approx in re.findall(r"BinomialFunction\((\d+), ([\d.]+), approximate=(\w+)", text):
            assert 0 < float(bp) < 1
            regime = random_models.binomial_regime(int(bn), float(bp), approx == "True")
            regimes.add(regime)
            if regime == "exact":      # Brian's exact algorithm hangs where (1 - P)^n prints as 0 (15 decimals)
                assert (1 - min(float(bp), 1 - float(bp))) ** int(bn) >= random_models.SMALLEST_QN
    assert regimes == {"normal", "exact"}


def test_deterministic_packs_ignore_the_stochastic_shares():
    """The deterministic strategy never sees this module's shares: changing them changes no deterministic model."""
    a = generate.draw(4, 3, dict(STORED))
    b = generate.draw(4, 3, dict(STORED, **{name: 0.9 for name in random_models.NAMES}))
    assert a == b


# --- attribution of statistical verdicts (check's result objects built as judge_stat builds them) ---

def _stat_result(tests, verdict=FAIL):
    devices = {"numpy": DeviceVerdict("numpy", REFERENCE, "8 run(s)"),
               "cpp_standalone": DeviceVerdict("cpp_standalone", verdict, "statistically different")}
    # the exact run on another stream differs everywhere: judge_stat keeps it on the verdict (never attributed)
    devices["cpp_standalone"].exact = ExactResult(False, [Comparison(n, "state", False, False, "", 1.0, 0.0)
                                                          for n in ("m0_mon.v", "m1_mon.v", "m2_mon.v0")], [], "")
    pair = Pair("cpp_standalone", "stat", "different streams", False)
    runs = {d: DeviceRun(d, "ok", "") for d in devices}
    res = CheckResult("pack.py", verdict, "", "numpy", devices, runs, "stat", pairs={"cpp_standalone": pair})
    res.stat = StatResult(verdict != FAIL, {"numpy": 8, "cpp_standalone": 8}, 0.01, len(tests), tests, "")
    return res


def _t(name, rejected, p=0.5):
    return StatTest("cpp_standalone", name, "scalar", "", 1.0, 2.0 if rejected else 1.0, p, p, rejected)


def test_a_rejected_statistic_is_attributed_to_the_model_its_observable_names():
    res = _stat_result([_t("m0_mon.v: mean", False), _t("m2_mon.v0: mean", True, 1e-5),
                        _t("m2_mon.v0: distribution at the end", True, 1e-4), _t("m1_spk: population rate", False)])
    found, whole = differential.attribute(res, ["numpy", "cpp_standalone"], 4)
    assert whole == []
    assert [(d.model, d.device, d.outcome, d.observables) for d in found] == \
        [(2, "cpp_standalone", "fail", ["mon.v0"])]
    assert differential.failing_observables(res, "cpp_standalone") == ["m2_mon.v0"]


def test_without_a_rejection_nothing_is_attributed():
    """Negative control: the same statistics, none rejected (statistically equivalent): nothing attributed, even
    though the single exact runs (other streams) differ everywhere."""
    res = _stat_result([_t("m0_mon.v: mean", False), _t("m2_mon.v0: mean", False)], verdict=AGREE_STAT)
    assert differential.attribute(res, ["numpy", "cpp_standalone"], 4) == ([], [])
    assert differential.failing_observables(res, "cpp_standalone") == []


def test_a_statistical_failure_that_names_no_model_is_bisected():
    res = _stat_result([_t("m0_mon.v: mean", False), _t("globals.x: mean", True, 1e-6)])
    assert differential.attribute(res, ["numpy", "cpp_standalone"], 4) == ([], ["cpp_standalone"])


def test_the_recheck_at_the_end_draws_new_seeds(tmp_path, monkeypatch):
    """Seed 0's statistical verdict is reproducible by construction: only the re-check under other seeds can show
    that a statistical finding was a false alarm (flaky)."""
    from brian2_harness.fuzz import findings
    sig = findings.signature(["cpp_standalone"], "fail", ["float"], ["poisson_group"])
    f = findings.Finding(id=findings.finding_id(sig), signature=sig, devices=["cpp_standalone"], reference="numpy",
                         outcome="fail", observables=["pspk"], features=["poisson_group"], release="2.10.1",
                         script_lines=5, found_after_s=1.0, model={}, shrink={})
    findings.save(str(tmp_path), f, "print(1)\n", {"format": "x"})
    c = campaign.Campaign(campaign.Config(devices=["numpy", "cpp_standalone"], budget_s=1, seed=0, out=str(tmp_path)),
                          lambda text: None)
    c.found, c.new = {sig: f}, [sig]
    seeds = []

    def fake(text, devices, work, label, **kw):
        seeds.append(kw["seed"])
        return _stat_result([_t("pspk: population rate", True, 1e-6)])
    monkeypatch.setattr(differential, "run_text", fake)
    c.recheck()
    assert seeds == [campaign.RECHECK_SEED] and f.status == "reproduces"
    monkeypatch.setattr(differential, "run_text", lambda *a, **kw: _stat_result([], verdict=AGREE_STAT))
    c.recheck()
    assert f.status == "flaky"


def test_triage_knows_the_cython_exact_binomial_above_one_half():
    from brian2_harness.fuzz import findings, triage

    def finding(device):
        sig = findings.signature([device], "fail", ["float"], ["binomial"])
        return findings.Finding(id=findings.finding_id(sig), signature=sig, devices=[device], reference="numpy",
                                outcome="fail", observables=["mon.b0"], features=["binomial"], release="2.10.1",
                                script_lines=4, found_after_s=1.0, model={}, shrink={})
    above = "binom = BinomialFunction(39, 0.703125, approximate=False, name='binom')"
    assert triage.classify(finding("cython"), above)["rule"] == "brian2-binomial-cython-p"
    assert triage.classify(finding("cpp_standalone"), above)["rule"] == "new"
    for other in ("BinomialFunction(39, 0.25, approximate=False", "BinomialFunction(39, 0.703125, approximate=True"):
        assert triage.classify(finding("cython"), other + ", name='b')")["rule"] == "new", other
    assert triage.classify(finding("cython"), "BinomialFunction(4, 0.75, approximate=True, name='b')")["rule"] == \
        "brian2-binomial-cython-p"          # n(1 - p) <= 5: the exact algorithm even with approximate=True


def test_a_stochastic_pack_never_changes_dt():
    """Brian refuses a PoissonInput whose group's dt changed after it was created (NotImplementedError): the first
    campaign of the extended generator had one invalid model from it (2.10.1, seed 3, pack 2). Negative control: a
    deterministic pack of the same shares does change dt."""
    from brian2_harness.fuzz import campaign, emit
    shares = dict(features.shares(), stochastic_packs=1.0, dt_change=1.0, several_runs=1.0)
    for p in range(4):
        drawn, runs, stochastic = campaign.draw_pack(3, p, 1, shares)
        assert stochastic and "defaultclock.dt = 0.05*ms" not in "\n".join(emit.run_lines(runs))
    drawn, runs, stochastic = campaign.draw_pack(3, 0, 1, dict(shares, stochastic_packs=0.0))
    assert not stochastic and "defaultclock.dt = 0.05*ms" in "\n".join(emit.run_lines(runs))
