"""The fuzz generator (no Brian): reproducible, valid by construction, packs name every object after its model."""
from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from brian2_harness.errors import UsageError
from brian2_harness.fuzz import emit, features, generate
from brian2_harness.fuzz.expressions import FLOAT, Scope, expr
from brian2_harness.fuzz.strategies import NEW_DT, Model, model

SHARES = features.shares()
ALL_ON = {name: 1.0 for name in SHARES}


def test_same_seed_same_models_other_seed_other_models():
    a = generate.draw(7, 6, SHARES)
    b = generate.draw(7, 6, SHARES)
    c = generate.draw(8, 6, SHARES)
    assert a == b
    assert len(a) == 6
    assert [m for _, m in a] != [m for _, m in c]


@settings(max_examples=60, deadline=None)
@given(model(ALL_ON))
def test_every_division_has_a_divisor_that_cannot_be_zero(m):
    """`//` and `%` only by a nonzero literal or by `(abs(e) % 7 + 1)`: no division by zero by construction."""
    text = emit.script(m, (5,))
    compile(text, "model.py", "exec")
    for op, rest in re.findall(r"(//|%) (\S+)", text):
        assert re.match(r"\(?-?[1-9]\d*(\.\d+)?\)*|-?\d*\.\d+\)*|\(abs\(", rest) or rest.startswith("N_post"), rest
    assert "% 0)" not in text and "// 0)" not in text and "// 0.0" not in text


@settings(max_examples=60, deadline=None)
@given(model(ALL_ON))
def test_discontinuous_functions_never_see_an_ode_variable(m):
    """floor/ceil/int/sign/`//`/`%` get exact values only: a one-ulp rounding difference of an ODE variable must
    never become a jump (that would be a false alarm)."""
    for line in m.lines:
        for call in re.findall(r"\b(?:floor|ceil|int|sign)\(([^()]*(?:\([^()]*\)[^()]*)*)\)", line):
            assert not re.search(r"\bv\d|\bs0\b", call), line


def test_a_pack_names_every_object_after_its_model():
    models = [m for _, m in generate.draw(3, 5, ALL_ON)]
    text = emit.pack(models, (10, 5))
    compile(text, "pack.py", "exec")
    names = re.findall(r"name='([^']+)'", text)
    assert names and len(names) == len(set(names))
    assert all(emit.model_of(n) is not None for n in names)
    assert {emit.model_of(n) for n in names} <= set(range(len(models)))
    assert text.count("run(") == 2


def test_model_of_reads_the_prefix():
    assert emit.model_of("m12_mon.k0") == 12
    assert emit.model_of("mon.k0") is None
    assert emit.MODEL_OF.sub("", "m3_spk") == "spk"


def test_features_are_read_from_the_script_text():
    text = ("from brian2 import *\nG = NeuronGroup(3, 'k0 : integer', threshold='k0 >= 1', refractory=0.05*ms)\n"
            "G.run_regularly('k0 = (i // 98)', dt=1*defaultclock.dt, name='rr')\nrun(1*ms)\nrun(2*ms)\n")
    used = features.used(text)
    assert {"int_vars", "floordiv", "threshold", "refractory", "short_refractory", "run_regularly",
            "several_runs"} <= set(used)
    assert "synapses" not in used and "mod" not in used


def test_switching_a_feature_off_removes_it():
    off = dict(SHARES, floordiv=0.0, mod=0.0, synapses=0.0)
    for _, m in generate.draw(11, 15, off):
        used = features.used(emit.script(m, (5,)))
        assert "floordiv" not in used and "synapses" not in used


@pytest.mark.parametrize("text,needle", [("bogus=1", "unknown feature 'bogus'"), ("floordiv=2", "floordiv"),
                                         ("mod=x", "between 0 and 1")])
def test_bad_feature_overrides_name_the_field(text, needle):
    with pytest.raises(UsageError, match="--features") as e:
        features.shares(text)
    assert needle in str(e.value)


def _draws(strategy, n: int, gen_seed: int) -> list:
    """`n` values of `strategy` as a campaign draws them: inside a larger example (so Hypothesis neither exhausts
    a small range nor stops early), generate phase only, under a fixed seed."""
    from hypothesis import HealthCheck, Phase
    from hypothesis import seed as hseed
    from hypothesis import strategies as st
    out = []

    @hseed(gen_seed)
    @settings(max_examples=n, phases=[Phase.generate], database=None, deadline=None,
              suppress_health_check=list(HealthCheck))
    @given(st.tuples(st.integers(0, 10**9), strategy))
    def collect(x):
        out.append(abs(x[1]))
    collect()
    return out


def _evenly_covered(values: list, top: int) -> bool:
    """Nearly every value of 1..top drawn, and none in more than 15% of the draws."""
    from collections import Counter
    counts = Counter(values)
    return len(set(range(1, top + 1)) - set(counts)) <= top // 32 and max(counts.values()) <= 0.15 * len(values)


def test_literal_divisors_cover_their_range_evenly():
    """|D| over 1..DIVISOR_MAX: the divisor strategy passes, a plain `integers(1, DIVISOR_MAX)` (the negative
    control: Hypothesis draws its simplest value, 1, in about 30% of examples) does not."""
    from hypothesis import strategies as st

    from brian2_harness.fuzz.expressions import DIVISOR_MAX, divisor_int
    for gen_seed in (1, 2):
        drawn = _draws(divisor_int(), 1000, gen_seed)
        assert set(drawn) <= set(range(1, DIVISOR_MAX + 1))
        assert _evenly_covered(drawn, DIVISOR_MAX)
        assert not _evenly_covered(_draws(st.integers(1, DIVISOR_MAX), 1000, gen_seed), DIVISOR_MAX)


LITERAL_DIVISION = re.compile(r"(//|%) (\(-?\d+\)|\d+)\)(?! \*)")
MULTIPLE = re.compile(r" \* (\(-?\d+\)|\d+)\)(?: \+ (?:\(-\d\)|\d)\))? (?://|%) (\(-?\d+\)|\d+)\)")


def test_exact_multiples_of_a_literal_divisor_are_common():
    """Exact quotients (`(e * D) // D`, `((e * D) + b) % D`) are where a floor computed through a rounded
    reciprocal breaks (Brian2 #1495): a good share of the divisions by a literal have one."""
    divisions = multiples = 0
    for gen_seed in range(6):
        for _, m in generate.draw(gen_seed, 10, ALL_ON):
            text = re.sub(r"ta\(t, i % \d\)", "ta(t)", emit.script(m, (5,)))     # a 2-D TimedArray's column
            divisions += len(LITERAL_DIVISION.findall(text))
            multiples += sum(a == b for a, b in MULTIPLE.findall(text))
    assert divisions >= 15 and multiples >= divisions // 3, (divisions, multiples)


@settings(max_examples=60, deadline=None)
@given(st.data(), st.sampled_from(["5", "(-3)", "((3 * 5) + (-2))", "int(2.0)", "abs((-7))", "k0", "(i + 1)"]))
def test_a_multiple_of_a_literal_divisor_reads_a_variable(data, a):
    """Brian folds a constant expression on the host, so a multiple of a constant would reach no device: the
    dividend's base is then `i` (the negative control: a base that reads a variable is kept; `constant` tells
    them apart)."""
    from brian2_harness.fuzz.expressions import Scope, constant, dividend
    text, _ = dividend(data.draw, Scope(50, {}), a, 10, 98)
    assert text == a or not constant(text)
    if not constant(a):
        assert text.startswith(("k0", "(k0", "((k0", "(i + 1)", "((i + 1)", "(((i + 1)"))
    assert constant(a) == (a not in ("k0", "(i + 1)"))


def _abs_operands(text: str) -> list[str]:
    out = []
    for start in (k.end() for k in re.finditer(r"\babs\(", text)):
        depth, k = 1, start
        while depth:
            depth += {"(": 1, ")": -1}.get(text[k], 0)
            k += 1
        out.append(text[start:k])
    return out


@settings(max_examples=600, deadline=None, derandomize=True)
@given(expr(Scope(10, {"functions": True, "power": True}, floats=["v0"]), FLOAT, 3))
def test_no_abs_of_an_exp(e):
    """Brian refuses `abs(... exp(clip(...)) ...)` (sympy writes it with `re`, which Brian cannot resolve): the
    generator never puts an exp() inside an abs() (without the guard, ~1% of these expressions have one)."""
    assert not any("exp(" in operand for operand in _abs_operands(e[0])), e[0]


def test_the_abs_of_exp_scan_can_fail():
    """Negative control of the scan above, on a text that has the pattern."""
    assert _abs_operands("log(abs((exp(clip(v0, -5, 5)) - 2.0)) + 1)") == ["(exp(clip(v0, -5, 5)) - 2.0))"]


def test_the_benchmark_samples_models_from_the_whole_pack():
    """One script per model is timed on models spread over the pack, not its first (simplest) ones (the check can
    fail: the first three would give indices 0, 1, 2)."""
    from brian2_harness.fuzz import bench
    models = [m for _, m in generate.draw(1, 10, SHARES)]
    picked = bench.spread(models, 3)
    assert [k for k, _ in picked] == [0, 3, 6] != list(range(3))
    assert bench.spread(models, 0) == [] and len(bench.spread(models, 20)) == 10
    assert len({m for _, m in picked}) == 3


MODEL_FEATURES = ("bool_vars", "events", "subgroups", "rate_monitor", "timed_array", "when_order", "units")
NEW_FEATURES = MODEL_FEATURES + ("dt_change", "store_restore", "run_changes", "model_changes")   # per pack
# sha256 of the joined lines of the models generate.draw(gen_seed, 10, shares) gave for gen_seed 0..4 before the
# features above existed, computed on main's code at 81fcd31 (features.shares() as it was then), without the
# constants Hypothesis collects from the loaded local modules (sampling.no_local_constants: with them, the draws
# depend on which modules and tests are loaded; under this wrapper plain and pytest processes agree)
BEFORE_NEW_FEATURES = "af1c72cd4f05674cd2d931d6e53d9df700d4e6e163bcdc7ee0d8be79165eb930"
OLD_SHARES = {name: share for name, share in SHARES.items() if name not in NEW_FEATURES}


def _digest(shares: dict) -> str:
    import hashlib

    from brian2_harness.families.sampling import no_local_constants
    with no_local_constants():
        texts = ["\n".join(m.lines) for gen_seed in range(5) for _, m in generate.draw(gen_seed, 10, shares)]
    return hashlib.sha256("\n\n".join(texts).encode()).hexdigest()


def test_shares_without_the_new_features_draw_the_models_drawn_before():
    """A campaign resumed from a state whose shares lack the new features draws exactly what it drew before: a
    feature absent from the shares is off and consumes no draw (the control: with them, the models differ)."""
    assert _digest(OLD_SHARES) == BEFORE_NEW_FEATURES
    assert _digest(SHARES) != BEFORE_NEW_FEATURES


def _coverage(shares: dict, seeds=range(8), count: int = 10) -> dict:
    from collections import Counter
    seen, n = Counter(), 0
    for gen_seed in seeds:
        for _, m in generate.draw(gen_seed, count, shares):
            n += 1
            seen.update(features.used(emit.script(m, (5,))))
    return {name: seen[name] / n for name in features.FEATURES}


def test_the_new_features_appear_near_their_share_and_go_with_share_zero():
    """Each new feature shows in the scripts (read back by its PATTERNS regex) at roughly its share (less where it
    needs something else: a rate monitor a threshold, a TimedArray read an integer or exact variable), more with
    share 1, never with share 0."""
    default = _coverage(SHARES)
    full = _coverage(dict(SHARES, **{name: 1.0 for name in NEW_FEATURES}), seeds=range(3))
    off = _coverage(dict(SHARES, **{name: 0.0 for name in NEW_FEATURES}), seeds=range(3))
    for name in MODEL_FEATURES:
        share = SHARES[name]
        assert 0.2 * share <= default[name] <= share + 0.3, (name, default[name])
        assert full[name] >= max(0.3, 1.5 * default[name]), (name, full[name], default[name])
        assert off[name] == 0.0, name


def test_the_new_features_are_read_from_the_script_text():
    text = ("from brian2 import *\nta = TimedArray([0.5, 1.0], dt=1*defaultclock.dt, name='ta')\n"
            "G = NeuronGroup(4, 'k0 : integer\\nb0 : boolean\\nu0 : volt', threshold='k0 >= 1', "
            "events={'ev': 'k0 >= 2'}, name='G')\n"
            "G.run_regularly('b0 = k0 > 2\\nk0 = int(ta(t))', dt=1*defaultclock.dt, when='end', "
            "order=1, name='rr')\nS = Synapses(G, G[1:3], 'w : 1', on_pre={'pre': 'c0_post += 1', 'path': "
            "'c0_post += 1'}, on_event={'path': 'ev'}, name='S')\nrate = PopulationRateMonitor(G, name='rate')\n"
            "run(1*ms)\n")
    assert set(MODEL_FEATURES) <= set(features.used(text))
    assert "dt_change" in features.used(emit.script(Model(()), (5, NEW_DT, 3)))
    for _, m in generate.draw(0, 5, OLD_SHARES):
        assert not set(NEW_FEATURES) & set(features.used(emit.script(m, (5,))))


@settings(max_examples=40, deadline=None)
@given(model(dict(SHARES, **{name: 1.0 for name in MODEL_FEATURES})))
def test_new_feature_models_name_every_object_and_index_in_range(m):
    """Subgroups lie within the group, 2-D TimedArrays are read at a column `i % C` that exists, booleans are set
    by comparisons only, and the extra objects (event monitor, rate monitor, TimedArray) carry the model's prefix."""
    text = emit.script(m, (5,), "m0_")
    compile(text, "model.py", "exec")
    n = int(re.search(r"NeuronGroup\((\d+),", text).group(1))
    for a, b in re.findall(r"G\[(\d+):(\d+)\]", text):
        assert 0 <= int(a) < int(b) <= n
    ta = re.search(r"TimedArray\((\[.*?\]), dt", text)
    if ta:
        values = eval(ta.group(1))
        rows = values if isinstance(values[0], list) else [values]
        assert all((4 * x).is_integer() for row in rows for x in row)
        assert {int(c) for c in re.findall(r"ta\(t, i % (\d)\)", text)} <= {len(rows[0])}
        assert ("ta(t)" in text) <= (rows is not values)
    for name in re.findall(r"name='([^']+)'", text):
        assert name.startswith("m0_")
    assert "m0_mon" in text or "m0_spk" in text or "m0_evm" in text


def test_a_dt_change_is_drawn_after_the_run_calls_and_only_with_its_share():
    """The pack's run() calls are those drawn before dt_change existed (absent or share 0: nothing more is drawn
    from the pack's Random); with it, the dt line sits between two runs at about its share of several-run packs."""
    import random

    from brian2_harness.fuzz.strategies import schedule

    def before(rng, several):          # strategies.schedule as it was on 81fcd31
        runs = rng.randint(2, 3) if rng.random() < several else 1
        return tuple(rng.randint(5, 40) for _ in range(runs))
    changed = several = 0
    for gs in range(400):
        old = before(random.Random(gs), 0.5)
        assert schedule(random.Random(gs), 0.5) == schedule(random.Random(gs), 0.5, 0.0) == old
        new = schedule(random.Random(gs), 0.5, 0.3)
        assert tuple(x for x in new if x != NEW_DT) == old
        several += len(old) > 1
        if NEW_DT in new:
            changed += 1
            assert isinstance(new[0], int) and isinstance(new[-1], int) and new.count(NEW_DT) == 1
            assert "dt_change" in features.used(emit.script(Model(()), new))
    assert 0.2 * several <= changed <= 0.4 * several, (changed, several)
    assert "dt_change" not in features.used(emit.script(Model(()), (5, 3)))


def test_store_restore_is_drawn_last_never_with_a_dt_change_and_only_with_its_share():
    """A pack's run() calls and dt change are those drawn before store/restore existed; with its share, store()
    goes before one run, the models' changes after it, restore() after that run, and the runs from there again."""
    import random

    from brian2_harness.fuzz.strategies import CHANGES, RESTORE, STORE, schedule
    stored = 0
    for gs in range(400):
        old = schedule(random.Random(gs), 0.5, 0.3)
        assert schedule(random.Random(gs), 0.5, 0.3, 0.0) == old
        new = schedule(random.Random(gs), 0.5, 0.3, 0.2)
        if NEW_DT in old:
            assert new == old
            continue
        if STORE in new:
            stored += 1
            k = new.index(STORE)            # the stored run is run again from the restored state
            assert new == old[:k] + (STORE, CHANGES, old[k], RESTORE) + old[k:]
        else:
            assert new == old
    assert 40 <= stored <= 110, stored


def test_changes_are_emitted_between_store_and_restore_only_in_a_pack_that_stores():
    from brian2_harness.fuzz.strategies import CHANGES, RESTORE, STORE, model_shares
    m = Model(("@G = NeuronGroup(2, 'k0 : integer', name='@G')", "@mon = StateMonitor(@G, 'k0', record=True, "
               "name='@mon')"), ("@G.k0 = '1 + i'",))
    text = emit.pack([m, m], (4, STORE, CHANGES, 3, RESTORE, 3))
    assert text.endswith("run(4*defaultclock.dt)\nstore()\nm0_G.k0 = '1 + i'\nm1_G.k0 = '1 + i'\n"
                         "run(3*defaultclock.dt)\nrestore()\nrun(3*defaultclock.dt)\n"), text
    assert {"store_restore", "model_changes"} <= set(features.used(text))
    assert "m0_G.k0 = '1 + i'" not in emit.pack([m], (4, 3))          # no store(): the changes are not used
    plain = emit.script(Model(m.lines), (STORE, CHANGES, 3, RESTORE, 3))
    assert "store_restore" in features.used(plain) and "model_changes" not in features.used(plain)
    shares = features.shares()
    assert "store_restore" not in model_shares(shares, (3,))
    assert model_shares(shares, (3,))["model_changes"] == 0.0
    assert model_shares(shares, (STORE, CHANGES, 3, RESTORE, 3))["model_changes"] == shares["model_changes"]


def test_models_of_a_store_pack_change_delays_weights_and_variables():
    from collections import Counter

    from brian2_harness.fuzz.strategies import CHANGES, RESTORE, STORE, model_shares
    runs = (STORE, CHANGES, 5, RESTORE, 5)
    shares = model_shares(dict(SHARES, synapses=1.0, threshold=1.0, model_changes=1.0), runs)
    seen = Counter()
    for gs in range(3):
        for _, m in generate.draw(gs, 10, shares):
            text = emit.script(m, runs)
            compile(text, "model.py", "exec")
            seen.update(kind for kind in ("delay", ".w =", "_G.", "G.") for line in m.change_code("") if kind in line)
            for line in m.changes:
                assert line.startswith(("@S.delay = ", "@S.w = ", "@G.")), line
    assert seen["delay"] and seen[".w ="] and seen["G."], seen


def test_run_changes_sit_between_two_runs_only_where_nothing_else_was_drawn():
    import random

    from brian2_harness.fuzz.strategies import CHANGES, STORE, model_shares, schedule
    changed = 0
    for gs in range(400):
        old = schedule(random.Random(gs), 0.5, 0.3, 0.2)
        new = schedule(random.Random(gs), 0.5, 0.3, 0.2, 0.3)
        if NEW_DT in old or STORE in old or len(old) == 1:
            assert new == old
        elif CHANGES in new:
            changed += 1
            k = new.index(CHANGES)
            assert 0 < k < len(new) - 1 and new == old[:k] + (CHANGES,) + old[k:]
    assert changed >= 10, changed
    m = Model(("@G = NeuronGroup(2, 'k0 : integer', name='@G')",), ("@G.k0 = '1 + i'",))
    text = emit.script(m, (4, CHANGES, 3))
    assert text.endswith("run(4*defaultclock.dt)\nG.k0 = '1 + i'\nrun(3*defaultclock.dt)\n"), text
    assert {"run_changes", "model_changes"} <= set(features.used(text))
    assert "store_restore" not in features.used(text)
    assert model_shares(features.shares(), (4, CHANGES, 3))["model_changes"] == features.shares()["model_changes"]
    assert "run_changes" not in model_shares(features.shares(), (4, CHANGES, 3))
    stored = emit.script(m, (STORE, CHANGES, 3, "restore()", 3))
    assert "run_changes" not in features.used(stored) and "model_changes" in features.used(stored)
