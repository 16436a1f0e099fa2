"""Hypothesis strategies for metaplastic cases: connectivity plus spike trains on the dt grid."""
from __future__ import annotations

from hypothesis import strategies as st

from brian2_harness.families.metaplastic.case import MetaCase
from brian2_harness.families.sampling import collect, connectivity

META_SCHEDULE = dict(dt=1e-4, period=0.1, T_meta=0.05, duration=0.2)


@st.composite
def spike_train(draw, n_neurons: int, n_steps: int, boundaries: list[int], partner: list[tuple[int, int]] = ()):
    """(neuron, step) pairs: silent neurons, random spikes, bursts, spikes on event steps, copies of a partner."""
    spikes = set()
    for n in range(n_neurons):
        kind = draw(st.sampled_from(["silent", "random", "burst", "boundary", "partner"]))
        if kind == "random":
            spikes |= {(n, s) for s in draw(st.lists(st.integers(0, n_steps - 1), max_size=12))}
        elif kind == "burst":
            start = draw(st.integers(0, n_steps - 6))
            spikes |= {(n, start + k) for k in range(draw(st.integers(2, 5)))}
        elif kind == "boundary":
            b = draw(st.sampled_from(boundaries))
            spikes |= {(n, s) for s in (b - 1, b, b + 1) if 0 <= s < n_steps}
        elif kind == "partner" and partner:
            spikes |= {(n, s) for (_, s) in draw(st.lists(st.sampled_from(list(partner)), max_size=6))}
    return sorted(spikes)


@st.composite
def meta_cases(draw, dtype: str = "float64", max_neurons: int = 8, max_synapses: int = 40):
    n_pre, n_post, i, j = draw(connectivity(max_neurons, max_synapses))
    w0 = draw(st.lists(st.floats(0.0, 1.0, allow_nan=False, width=32), min_size=len(i), max_size=len(i)))
    s = META_SCHEDULE
    n_steps = int(round(s["duration"] / s["dt"]))
    boundaries = sorted({k * int(round(s["T_meta"] / s["dt"])) for k in range(int(s["duration"] / s["T_meta"]))})
    pre = draw(spike_train(n_pre, n_steps, boundaries))
    post = draw(spike_train(n_post, n_steps, boundaries, partner=pre))   # "partner": simultaneous pre/post
    beta = draw(st.sampled_from([1.08, 1.0, 0.9, 1.5]))
    return MetaCase(n_pre=n_pre, n_post=n_post, i=i, j=j, w0=w0, pre_spikes=pre, post_spikes=post, beta=beta,
                    dtype=dtype, **s)


def generate_meta_cases(n: int, seed_value: int, dtype: str = "float64") -> list:
    return [c.replace(name=f"m{seed_value}-{k:04d}") for k, c in enumerate(collect(meta_cases(dtype), n, seed_value))]
