"""Metaplastic family: the oracle on hand-computed examples, case validation and JSON (no Brian); the Brian
model against the oracle on the numpy target, and the negative controls it must catch (marked `brian`)."""
import math

import numpy as np
import pytest

from brian2_harness.errors import CaseError, UsageError
from brian2_harness.families.metaplastic.case import MUTATIONS, MetaCase, pack_meta
from brian2_harness.families.metaplastic.compare import compare_meta, meta_tolerance
from brian2_harness.families.metaplastic.observables import MetaObservables, observables_from_monitors
from brian2_harness.families.metaplastic.oracle import simulate_meta

A_PLUS, A0, TAU, TAU_R, R_T, DT = 0.01, 0.0105, 0.02, 0.2, 5.0, 1e-4
C_R = math.exp(-DT / TAU_R)          # one step of rate decay


def one(**kw):
    base = dict(n_pre=1, n_post=1, i=[0], j=[0], w0=[0.5], beta=10.0, duration=0.2, period=0.1, T_meta=0.05)
    case = MetaCase(**{**base, **kw})
    return simulate_meta(pack_meta([case])[0])


# --- oracle, by hand ---------------------------------------------------------------------------------
def test_no_spikes_leaves_weights_and_decays_the_rate():
    o = one()
    assert o.w.shape == (2, 1) and np.all(o.w == 0.5)
    # the law runs in `end` of steps 0, 500, 1000, 1500, after that step's decay: r = r_target * c^(k+1)
    for e, step in enumerate((0, 500, 1000, 1500)):
        assert o.r[e, 0] == pytest.approx(R_T * C_R ** (step + 1), rel=1e-12)
        assert o.A_minus[e, 0] == pytest.approx(A0 * C_R ** (step + 1), rel=1e-12)
    assert o.pre_count.tolist() == [0] and o.post_count.tolist() == [0]


def test_simultaneous_pre_and_post_is_potentiation():
    # pre pathway first: LTD reads apost before this step's +1 (0); LTP reads apre after this step's +A_plus
    o = one(pre_spikes=[(0, 10)], post_spikes=[(0, 10)])
    assert o.w[0, 0] == 0.5 and o.w[1, 0] == 0.5 + A_PLUS
    assert o.pre_count.tolist() == [1] and o.post_count.tolist() == [1]


def test_post_then_pre_is_depression_with_the_law_of_step_0():
    o = one(pre_spikes=[(0, 11)], post_spikes=[(0, 10)])
    a_minus = A0 / R_T * (R_T * C_R)                 # set in `end` of step 0
    apost = math.exp(-DT / TAU)
    assert o.w[1, 0] == pytest.approx(0.5 - a_minus * apost, rel=1e-14)


def test_spike_in_the_step_of_a_normalization_event_is_seen_by_it():
    # two synapses onto one neuron, B = 1.0; pre 0 at step 995, post at step 1000 = the second event
    o = one(n_pre=2, i=[0, 1], j=[0, 0], w0=[0.5, 0.5], beta=1.0, pre_spikes=[(0, 995)], post_spikes=[(0, 1000)])
    x = A_PLUS * math.exp(-0.0005 / TAU)             # LTP of synapse 0 in step 1000, before `end`
    assert o.w[0].tolist() == [0.5, 0.5]
    assert o.w[1, 0] == pytest.approx(0.5 + x / 2, rel=1e-13)
    assert o.w[1, 1] == pytest.approx(0.5 - x / 2, rel=1e-13)
    assert o.totals()[1, 0] == pytest.approx(1.0, abs=4e-16)


def test_post_spike_in_the_step_of_a_metaplasticity_update_is_read_by_it():
    o = one(post_spikes=[(0, 500)])
    r = R_T * C_R ** 501 + 1 / TAU_R                 # 501 decays, then the reset, then the law
    assert o.r[1, 0] == pytest.approx(r, rel=1e-12)
    assert o.A_minus[1, 0] == pytest.approx(A0 / R_T * r, rel=1e-12)


def test_normalization_only_acts_on_an_excess():
    # beta < 1: S > B from the start, the event at t = 0 sets the total to B; beta > 1 leaves it untouched
    o = one(n_pre=2, i=[0, 1], j=[0, 0], w0=[0.2, 0.6], beta=0.5)
    assert o.w[0].tolist() == pytest.approx([0.0, 0.4], abs=1e-15)
    assert one(n_pre=2, i=[0, 1], j=[0, 0], w0=[0.2, 0.6], beta=1.5).w[0].tolist() == [0.2, 0.6]


def test_zero_synapses_and_packing_are_independent_blocks():
    a = MetaCase(n_pre=2, n_post=1, pre_spikes=[(1, 3)], post_spikes=[(0, 7)], duration=0.1, name="empty")
    b = MetaCase(n_pre=2, n_post=2, i=[0, 1, 1], j=[1, 0, 1], w0=[0.3, 0.4, 0.5], beta=1.0,
                 pre_spikes=[(0, 5), (1, 100)], post_spikes=[(1, 5), (0, 90), (1, 999)], duration=0.1)
    net, blocks = pack_meta([a, b])
    both = simulate_meta(net)
    for case, block in zip((a, b), blocks):
        alone = simulate_meta(pack_meta([case])[0])
        part = both.block(block)
        for k, v in alone.arrays().items():
            assert np.array_equal(part.arrays()[k], v), k
    assert both.block(blocks[0]).w.shape == (1, 0)


def test_float32_oracle_stays_in_float32():
    o = one(dtype="float32", pre_spikes=[(0, 11)], post_spikes=[(0, 10)])
    assert o.w.dtype == np.float32 and o.A_minus.dtype == np.float32
    assert abs(float(o.w[1, 0]) - float(one(pre_spikes=[(0, 11)], post_spikes=[(0, 10)]).w[1, 0])) < 1e-6


def test_observables_from_monitor_layout():
    net, _ = pack_meta([MetaCase(n_pre=1, n_post=2, i=[0, 0], j=[0, 1], w0=[0.1, 0.2], duration=0.1)])
    w = np.array([[0.1], [0.2]])                       # (synapses, events)
    am = np.arange(4.0).reshape(2, 2)                  # (n_post, meta events)
    o = observables_from_monitors(net, w, am, am, [0], [0, 0])
    assert o.w.tolist() == [[0.1, 0.2]] and o.A_minus.tolist() == [[0.0, 2.0], [1.0, 3.0]]
    empty, _ = pack_meta([MetaCase(n_pre=1, n_post=1, duration=0.1)])
    assert observables_from_monitors(empty, np.zeros((0, 0)), [[1.0, 1.0]], [[1.0, 1.0]], [0], [0]).w.shape == (1, 0)
    with pytest.raises(ValueError, match="A_minus"):
        observables_from_monitors(net, w, am[:, :1], am, [0], [0, 0])


def test_tolerance_formula_and_comparison():
    o = one(pre_spikes=[(0, 11), (0, 30)], post_spikes=[(0, 10)])
    tol = meta_tolerance(o, 2000, "float64")
    e, W, M, K, Q, n, E, N = np.finfo(float).eps, float(np.abs(o.w).max()), o.stdp_step[0], 3, 1, 2000, 2, 1
    assert tol.w.shape == (1,)                          # one bound per post neuron
    assert tol.w[0] == pytest.approx(2 * e * (W * (E * (N + 2) + 4) + K * (W + M * (3 * K + 2 * n + 2 * Q + 6))))
    assert tol.A_minus[0] == pytest.approx(2 * (n + Q + 2) * e * float(np.abs(o.A_minus).max()))
    assert compare_meta(o, o, tol).ok
    bumped = MetaObservables(**{**o.arrays(), "w": o.w + 2 * tol.w[o.j]}, i=o.i, j=o.j)
    c = compare_meta(bumped, o, tol)
    assert not c.ok and "w[" in c.reason
    with pytest.raises(ValueError, match="oracle"):
        meta_tolerance(bumped, 2000, "float64")


# --- validation and JSON -----------------------------------------------------------------------------
GOOD = dict(n_pre=2, n_post=2, i=[0, 1], j=[1, 0], w0=[0.1, 0.2], pre_spikes=[(0, 1)], post_spikes=[(1, 2)],
            duration=0.1, period=0.05, T_meta=0.025)


@pytest.mark.parametrize("changes, field", [
    (dict(n_pre=0), "n_pre"), (dict(n_post=-1), "n_post"), (dict(n_pre=1.5), "n_pre"), (dict(n_post=True), "n_post"),
    (dict(i=[0, 2]), "i"), (dict(j=[0, 5]), "j"), (dict(j=[0]), "j"), (dict(w0=[0.1]), "w0"),
    (dict(i=[0, 0.5]), "i"), (dict(w0=[0.1, float("nan")]), "w0"), (dict(w0=[float("inf"), 0.1]), "w0"),
    (dict(pre_spikes=[(2, 1)]), "pre_spikes"), (dict(pre_spikes=[(0, 1000)]), "pre_spikes"),
    (dict(pre_spikes=[(0, -1)]), "pre_spikes"), (dict(pre_spikes=[(0, 1), (0, 1)]), "pre_spikes"),
    (dict(pre_spikes=[(0, 1, 2)]), "pre_spikes"), (dict(pre_spikes=[(0, 2.5)]), "pre_spikes"),
    (dict(pre_spikes=[5]), "pre_spikes"), (dict(post_spikes=[(2, 0)]), "post_spikes"),
    (dict(post_spikes=[(0, 1000)]), "post_spikes"), (dict(post_spikes=["ab"]), "post_spikes"),
    (dict(tau_pre=0.0), "tau_pre"), (dict(tau_post=-0.02), "tau_post"), (dict(tau_r=float("inf")), "tau_r"),
    (dict(r_target=0.0), "r_target"), (dict(beta=0.0), "beta"), (dict(beta=-1.0), "beta"),
    (dict(A_plus=float("nan")), "A_plus"), (dict(A_minus0="x"), "A_minus0"), (dict(dt=0.0), "dt"),
    (dict(period=0.00015), "period"), (dict(T_meta=0.00025), "T_meta"), (dict(duration=0.12), "duration"),
    (dict(duration=0.15, period=0.05, T_meta=0.1), "duration"), (dict(duration=300.0), "duration"),
    (dict(dtype="float16"), "dtype"),
])
def test_each_invalid_field_is_named(changes, field):
    with pytest.raises(CaseError) as info:
        MetaCase(**{**GOOD, **changes})
    assert info.value.field == field


def test_from_dict_names_unknown_and_missing_fields():
    with pytest.raises(CaseError, match="'gamma'"):
        MetaCase.from_dict({**GOOD, "gamma": 1})
    with pytest.raises(CaseError, match="'n_post'"):
        MetaCase.from_dict({k: v for k, v in GOOD.items() if k != "n_post"})
    with pytest.raises(UsageError):
        MetaCase.from_json("[1, 2]")
    with pytest.raises(UsageError, match="format"):
        MetaCase.from_json('{"format": "brian2-harness-case/1", "n_pre": 1, "n_post": 1}')
    with pytest.raises(UsageError, match="not valid JSON"):
        MetaCase.from_json("{")


def test_json_round_trip_is_lossless():
    c = MetaCase(**{**GOOD, "w0": [0.1 + 0.2, 1 / 3], "A_minus0": 0.0105 * 1.1, "r_target": 7.3, "beta": 1.0 / 0.93,
                    "dtype": "float32"}, name="odd floats")
    back = MetaCase.from_json(c.to_json())
    assert back == c and back.name == c.name and back.w0[0] == 0.1 + 0.2
    assert back.pre_spikes == ((0, 1),) and isinstance(back.pre_spikes[0], tuple)
    assert MetaCase.from_dict(c.to_dict()) == c


def test_pack_requires_equal_constants_but_not_beta():
    a, b = MetaCase(**GOOD), MetaCase(**{**GOOD, "beta": 1.5})
    net, _ = pack_meta([a, b])
    assert net.B.tolist() == pytest.approx([1.08 * 0.2, 1.08 * 0.1, 1.5 * 0.2, 1.5 * 0.1])
    with pytest.raises(ValueError, match="cannot share"):
        pack_meta([a, MetaCase(**{**GOOD, "tau_r": 0.1})])


# --- Brian, numpy target, in this process -----------------------------------------------------------
def brian_case(seed, n_pre=4, n_post=2, duration=0.3, dtype="float64"):
    """Random spikes plus the coincidences the mutants hinge on: a simultaneous pair (step 777), spikes in the
    step of a normalization event (1000, 2000) and post spikes in the step of a metaplasticity update (500, 1500)."""
    rng = np.random.default_rng(seed)
    n_steps = int(round(duration / DT))
    i = [a for a in range(n_pre) for _ in range(n_post)]
    j = [b for _ in range(n_pre) for b in range(n_post)]
    pre = {(a, int(s)) for a in range(n_pre) for s in np.flatnonzero(rng.random(n_steps) < 30 * DT)}
    post = {(b, int(s)) for b in range(n_post) for s in np.flatnonzero(rng.random(n_steps) < 20 * DT)}
    pre |= {(0, 777), (1, 1000), (2, 2000)}
    post |= {(0, 777), (1, 1000), (0, 500), (1, 1500), (0, 2000)}
    return MetaCase(n_pre=n_pre, n_post=n_post, i=i, j=j, w0=[round(0.2 + 0.6 * x, 6) for x in rng.random(len(i))],
                    pre_spikes=sorted(pre), post_spikes=sorted(post), beta=1.0, duration=duration, dtype=dtype)


@pytest.fixture
def numpy_target():
    from brian2 import prefs
    old = prefs.codegen.target, prefs.core.default_float_dtype
    prefs.codegen.target = "numpy"
    yield
    prefs.codegen.target, prefs.core.default_float_dtype = old


def brian_vs_oracle(cases, mutation=None):
    from brian2_harness.models.metaplastic import run_metaplastic
    net, blocks = pack_meta(cases)
    ref = simulate_meta(net)
    got = MetaObservables.from_arrays(net, run_metaplastic(net, mutation))
    return compare_meta(got, ref, meta_tolerance(ref, net.n_steps, net.dtype)), got, ref


@pytest.mark.brian
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_brian_numpy_matches_the_oracle(numpy_target, dtype):
    c, got, ref = brian_vs_oracle([brian_case(0, dtype=dtype), brian_case(1, n_pre=3, n_post=3, dtype=dtype)])
    assert c.ok, c.reason
    assert got.pre_count.sum() > 20 and got.post_count.sum() > 10
    assert np.any(np.diff(ref.totals(), axis=0) != 0)   # STDP and normalization both acted


@pytest.mark.brian
def test_brian_handles_no_synapses_and_silent_neurons(numpy_target):
    silent = MetaCase(n_pre=2, n_post=2, i=[0], j=[1], w0=[0.4], duration=0.1)
    empty = MetaCase(n_pre=1, n_post=1, pre_spikes=[(0, 3)], post_spikes=[(0, 4)], duration=0.1)
    for cases in ([silent], [empty], [empty, silent]):
        c, got, _ = brian_vs_oracle(cases)
        assert c.ok, c.reason


@pytest.mark.brian
@pytest.mark.parametrize("mutation", list(MUTATIONS))
def test_brian_mutants_are_caught(numpy_target, mutation):
    c, _, _ = brian_vs_oracle([brian_case(0)], mutation)
    assert not c.ok
    assert c.errors["w"] > c.tolerance.w.max() * 1e3, c.errors
