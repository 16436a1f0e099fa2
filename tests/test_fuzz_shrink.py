"""Shrinking (no Brian): Hypothesis replays a model's generation sequence, reaches it, and shrinks it to a small
model for which the property still holds (here a text property stands in for a device disagreement)."""
from __future__ import annotations

from brian2_harness.fuzz import emit, features, generate, shrink

SHARES = features.shares()


def _target(prop):
    for gen_seed in range(40):
        for position, m in generate.draw(gen_seed, 8, SHARES):
            text = emit.script(m, (5,))
            if prop(text) and len(emit.model_lines(text)) >= 6:
                return gen_seed, m
    raise AssertionError("no model with the property in 40 seeds")


def test_shrinking_reaches_the_model_and_keeps_the_property():
    def prop(text):
        return "//" in text and "Synapses(" not in text

    gen_seed, target = _target(prop)
    calls = []

    def reproduces(text):
        calls.append(text)
        return prop(text)
    out = shrink.shrink(target, gen_seed, generate.examples_for(8), SHARES, (5,), reproduces, seconds=120)
    assert out.reached
    assert prop(out.script) and calls
    assert shrink.size(out.script) < shrink.size(emit.script(target, (5,)))
    # 6 lines when Hypothesis drew with the constants of the loaded modules; drawn without them (generate.draw and
    # shrink.shrink since 2026-12-06, for the same models in every process) its shrinker keeps a threshold and spike
    # monitor here: 7 (header and dt line included)
    assert len(emit.model_lines(out.script)) <= 7, out.script


def test_a_model_that_is_not_in_the_sequence_is_kept_unshrunk():
    gen_seed, target = _target(lambda t: "NeuronGroup(" in t)
    out = shrink.shrink(target, gen_seed + 1000, generate.examples_for(8), SHARES, (5,), lambda t: True,
                        seconds=30)
    assert not out.reached and out.model == target and out.candidates == 0
