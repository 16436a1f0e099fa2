"""Hypothesis strategies for whole Brian2 models, emitted as the lines of a plain script.

A model is one NeuronGroup (integer, exact-float and ODE variables), optionally a threshold/reset/refractory
period, a `run_regularly`, Synapses onto itself (on_pre, on_post, delays, a summed variable), and its monitors.
Every object is named after the model (`@` in the lines stands for the model's prefix, e.g. `m3_`), so a packed
script attributes each observable to its model. Each feature is switched on with its share (features.py);
shrinking switches features off and moves every number towards its simplest value.
"""
from __future__ import annotations

from dataclasses import dataclass

from hypothesis import strategies as st

from .expressions import EXACT, FLOAT, INT, Scope, assignment, expr, flag, lit_float

METHODS_ANY = ("euler", "rk2", "rk4")
METHODS_LINEAR = ("exact", "exponential_euler")
REFRACTORY_MS = (0.5, 0.1, 1.0, 0.3)
SHORT_REFRACTORY_MS = (0.05, 0.01, 0.099)


@dataclass(frozen=True)
class Model:
    lines: tuple[str, ...]        # script lines, "@" where the model's prefix goes

    def code(self, prefix: str) -> list[str]:
        return [line.replace("@", prefix) for line in self.lines]


def _features(draw, shares: dict) -> dict:
    return {name: draw(flag(share)) for name, share in shares.items()}


def _quoted(statements: list[str]) -> str:
    return repr("\n".join(statements))


@st.composite
def model(draw, shares: dict, max_n: int = 100):
    """One model (a `Model`) drawn with the given feature shares."""
    on = _features(draw, shares)
    n = draw(st.integers(1, max_n))
    sc = Scope(n, on)
    sc.ints = [f"k{j}" for j in range(draw(st.integers(1, 2)))] if on["int_vars"] else []
    sc.exacts = [f"x{j}" for j in range(draw(st.integers(1, 2)))] if on["exact_float"] else []
    odes = [f"v{j}" for j in range(draw(st.integers(1, 2)))] if on["ode"] else []
    has_threshold = on["threshold"] and bool(sc.ints or sc.exacts or odes)
    synapses = on["synapses"] and has_threshold
    summed = synapses and on["summed"]
    sc.floats = odes + (["s0"] if summed else [])
    lines = []
    eqs, methods = [], set(METHODS_ANY + METHODS_LINEAR)
    for v in odes:
        rhs, bound = draw(expr(sc, FLOAT))
        if any(f in rhs for f in sc.floats):
            methods -= set(METHODS_LINEAR)
        rhs = f"clip({rhs}, -10.0, 10.0)" if bound > 10 else rhs
        tau = draw(st.integers(1, 20))
        eqs.append(f"d{v}/dt = ({rhs} - {v}) / ({tau}*ms) : 1")
    eqs += [f"{k} : integer" for k in sc.ints] + [f"{x} : 1" for x in sc.exacts]
    eqs += ["s0 : 1"] if summed else []
    eqs += ["c0 : integer"] if synapses else []      # counts arriving spikes (read by nothing else)
    args = [str(n), _quoted(eqs)]
    if has_threshold:
        args += _threshold(draw, sc, odes)
        if on["refractory"]:
            ms = draw(st.sampled_from(SHORT_REFRACTORY_MS if on["short_refractory"] else REFRACTORY_MS))
            args.append(f"refractory={ms!r}*ms")
    if odes:
        args.append(f"method={draw(st.sampled_from(sorted(methods))) !r}")
    lines.append(f"@G = NeuronGroup({', '.join(args)}, name='@G')")
    for var, kind in [(k, INT) for k in sc.ints] + [(x, EXACT) for x in sc.exacts] + [(v, EXACT) for v in odes]:
        if draw(st.booleans()):
            text, bound = draw(expr(Scope(n, on), INT if kind == INT else EXACT, top=True))
            name, _, rhs = assignment(var, kind, text, bound, sc, 1000).partition(" = ")
            lines.append(f"@G.{name} = {rhs!r}")
    if on["run_regularly"] and (sc.ints or sc.exacts):
        statements = _statements(draw, sc, min_size=1)
        every = draw(st.integers(1, 5))
        lines.append(f"@G.run_regularly({_quoted(statements)}, dt={every}*defaultclock.dt, name='@rr')")
    if synapses:
        lines += _synapses(draw, sc, on, summed)
    recorded = sc.ints + sc.exacts + odes + (["s0"] if summed else []) + (["c0"] if synapses else [])
    if recorded:
        lines.append(f"@mon = StateMonitor(@G, {recorded!r}, record=True, name='@mon')")
    if has_threshold:
        lines.append("@spk = SpikeMonitor(@G, name='@spk')")
    return Model(tuple(lines))


def _statements(draw, sc: Scope, min_size: int = 0, targets=None) -> list[str]:
    """Assignments to integer and exact variables (each kept within its bound)."""
    targets = targets if targets is not None else [(k, INT) for k in sc.ints] + [(x, EXACT) for x in sc.exacts]
    if not targets:
        return []
    chosen = draw(st.lists(st.sampled_from(targets), min_size=min_size, max_size=2, unique=True))
    out = []
    for var, kind in chosen:
        text, bound = draw(expr(sc, kind, top=True))
        out.append(assignment(var, kind, text, bound, sc, draw(st.integers(2, 1000))))
    return out


def _threshold(draw, sc: Scope, odes: list) -> list[str]:
    options = [(k, INT) for k in sc.ints] + [(x, EXACT) for x in sc.exacts] + [(v, FLOAT) for v in odes]
    var, kind = draw(st.sampled_from(options))
    if kind == INT:
        cond = f"{var} >= {draw(st.integers(-5, 50))}"
    else:
        cond = f"{var} > {lit_float(draw(st.integers(-8, 40)) / 4)}"
    reset = _statements(draw, sc)
    if kind == FLOAT or draw(st.booleans()):        # a reset that moves the variable back (else it fires again)
        reset.append(f"{var} = {lit_float(draw(st.integers(-8, 0)) / 4)}" if kind != INT
                     else f"{var} = {draw(st.integers(-5, 0))}")
    out = [f"threshold={cond!r}"]
    return out + ([f"reset={_quoted(reset)}"] if reset else [])


def _synapses(draw, sc: Scope, on: dict, summed: bool) -> list[str]:
    # only commutative updates of the target: Brian warns that anything else depends on the order in which
    # synapses are processed, which devices may legitimately choose differently
    targets = ["c0_post += 1"] + [f"{x}_post += w" for x in sc.exacts] + [f"{v}_post += w" for v in sc.floats
                                                                         if v != "s0"]
    on_pre = draw(st.lists(st.sampled_from(targets), min_size=1, max_size=2, unique=True))
    model_eqs = ["w : 1"] + (["s0_post = w : 1 (summed)"] if summed else [])
    args = ["@G", "@G", _quoted(model_eqs), f"on_pre={_quoted(on_pre)}"]
    if on["on_post"]:
        step = lit_float(draw(st.integers(-8, 8)) / 8)
        args.append(f"on_post={'w = clip(w + ' + step + ', -4.0, 4.0)'!r}")
    delays = on["delays"] and draw(st.booleans())
    if on["delays"] and not delays:
        args.append(f"delay={draw(st.integers(0, 20)) / 10!r}*ms")
    lines = [f"@S = Synapses({', '.join(args)}, name='@S')"]
    how = draw(st.sampled_from(["condition='i != j'", "j='i'", "j='(i + 1) % N_post'", "condition='abs(i - j) <= 1'",
                                ""]))
    lines.append(f"@S.connect({how})")
    lines.append(f"@S.w = '{draw(st.integers(-8, 8)) / 4!r} + (i % 3) * 0.25 - j * 0.125'")
    if delays:
        lines.append(f"@S.delay = '(i % {draw(st.integers(1, 4))}) * {draw(st.integers(1, 10)) / 10!r}*ms'")
    return lines        # no StateMonitor of w: record=True on synapses is refused by standalone devices


def schedule(rng, several: float) -> tuple[int, ...]:
    """A pack's run() calls, in steps of dt (drawn from `rng`: every model of a pack shares them)."""
    runs = rng.randint(2, 3) if rng.random() < several else 1
    return tuple(rng.randint(5, 40) for _ in range(runs))
