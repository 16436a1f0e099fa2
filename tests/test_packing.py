"""Packing many cases into one network is exact: the oracle on a batch equals the oracle per case."""
import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from brian2_harness.families import get_family
from brian2_harness.families.growth.generate import FAST_SCHEDULES, cases, generate_cases
from brian2_harness.families.growth.network import pack
from brian2_harness.families.growth.oracle import simulate


@settings(max_examples=30)
@given(st.lists(cases(schedules=FAST_SCHEDULES[:1]), min_size=1, max_size=8), st.sampled_from(["aligned", "lagged"]))
def test_batched_oracle_equals_alone(batch, schedule):
    net, blocks = pack(batch)
    together = simulate(net, schedule)
    for case, block in zip(batch, blocks):
        alone = simulate(pack([case])[0], schedule)
        part = together.block(block)
        assert np.array_equal(part.w_after, alone.w_after)
        assert np.array_equal(part.w_before, alone.w_before)
        assert np.array_equal(part.clipped(), alone.clipped())


def test_different_schedules_go_to_different_batches():
    mixed = generate_cases(40, 3)
    key = get_family("growth").batch_key
    groups = list({key(c): [d for d in mixed if key(d) == key(c)] for c in mixed}.values())
    assert len(groups) > 1
    for g in groups:
        assert len({c.schedule_key for c in g}) == 1
    assert sum(map(len, groups)) == 40


def test_generation_is_deterministic_and_covers_shapes():
    a, b = generate_cases(100, 1), generate_cases(100, 1)
    assert a == b
    assert any(c.n_synapses == 0 for c in a)
    assert any(c.n_synapses == 1 for c in a)
    assert any(len(set(zip(c.i, c.j))) < c.n_synapses for c in a)      # multapses


@settings(max_examples=20)
@given(st.lists(cases(schedules=FAST_SCHEDULES[:1]), min_size=1, max_size=8))
def test_padding_is_inert(batch):
    """The padded network (used for cached standalone builds) gives the same real observables."""
    from brian2_harness.families.growth.network import pad
    net, _ = pack(batch)
    padded = pad(net)
    assert padded.n_synapses in (0, 256) or padded.n_synapses >= net.n_synapses
    for schedule in ("aligned", "lagged"):
        a, b = simulate(net, schedule), simulate(padded, schedule)
        assert np.array_equal(a.w_after, b.w_after[:, :net.n_synapses])
        assert not b.clipped()[:, net.n_post:].any()
