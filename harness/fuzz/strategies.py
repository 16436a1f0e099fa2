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

from .expressions import BOOL, EXACT, FLOAT, INT, Scope, assignment, expr, flag, lit_float, lit_int
from .features import PACK_ONLY

METHODS_ANY = ("euler", "rk2", "rk4")
METHODS_LINEAR = ("exact", "exponential_euler")
REFRACTORY_MS = (0.5, 0.1, 1.0, 0.3)
SHORT_REFRACTORY_MS = (0.05, 0.01, 0.099)
COMPARISONS = (">", ">=", "<", "<=", "==", "!=")
VOLT = "volt"           # a variable in volts (compared with and reset to literals in mV)
# scheduling slots for `when` (the objects of one model in one slot with the same order run by name: Brian sorts
# by (when, order, name), so the order is the same on every device)
SLOTS = ("start", "groups", "thresholds", "synapses", "resets", "end", "before_groups", "after_resets")


@dataclass(frozen=True)
class Model:
    lines: tuple[str, ...]        # script lines, "@" where the model's prefix goes
    changes: tuple[str, ...] = ()  # lines run where the pack's schedule has CHANGES (after store(), between runs)

    def code(self, prefix: str) -> list[str]:
        return [line.replace("@", prefix) for line in self.lines]

    def change_code(self, prefix: str) -> list[str]:
        return [line.replace("@", prefix) for line in self.changes]


def _features(draw, shares: dict) -> dict:
    return {name: draw(flag(share)) for name, share in shares.items() if name not in PACK_ONLY}


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
    # features added later draw only when switched on (a share dict without them draws the models it drew before)
    sc.bools = [f"b{j}" for j in range(draw(st.integers(1, 2)))] if on.get("bool_vars") else []
    has_threshold = on["threshold"] and bool(sc.ints or sc.exacts or odes or on.get("units"))
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
    if on.get("units"):
        eqs.append(_volt_equation(draw, sc, methods))
    eqs += [f"{k} : integer" for k in sc.ints] + [f"{x} : 1" for x in sc.exacts]
    eqs += ["s0 : 1"] if summed else []
    eqs += ["c0 : integer"] if synapses else []      # counts arriving spikes (read by nothing else)
    eqs += [f"{b} : boolean" for b in sc.bools]
    if on.get("timed_array"):       # read only after the ODEs are drawn: never in an equation (`exact` refuses t)
        ta_line, ta_read = _timed_array(draw)
        lines.append(ta_line)
        sc.tas = [ta_read]
    args = [str(n), _quoted(eqs)]
    if has_threshold:
        args += _threshold(draw, sc, odes)
        if on["refractory"]:
            ms = draw(st.sampled_from(SHORT_REFRACTORY_MS if on["short_refractory"] else REFRACTORY_MS))
            args.append(f"refractory={ms!r}*ms")
    events = on.get("events") and bool(sc.ints or sc.exacts or odes or sc.volts)
    if events:
        args.append(f"events={{'@ev': {_condition(draw, sc, odes)[0]!r}}}")
    if odes or sc.volts:
        args.append(f"method={draw(st.sampled_from(sorted(methods))) !r}")
    lines.append(f"@G = NeuronGroup({', '.join(args)}, name='@G')")
    lines += _initial_values(draw, sc, odes)
    if on["run_regularly"] and (sc.ints or sc.exacts or sc.bools):
        statements = _statements(draw, sc, min_size=1)
        every = draw(st.integers(1, 5))
        lines.append(f"@G.run_regularly({_quoted(statements)}, dt={every}*defaultclock.dt{_when(draw, on)}, "
                     "name='@rr')")
    if events:
        lines.append(f"@G.run_on_event('@ev', {_quoted(_statements(draw, sc, min_size=1))})")
        lines.append("@evm = EventMonitor(@G, '@ev', name='@evm')")
    if synapses:
        lines += _synapses(draw, sc, on, summed, events)
    recorded = sc.ints + sc.exacts + odes + (["s0"] if summed else []) + (["c0"] if synapses else []) + sc.bools
    lines += _monitors(draw, n, on, recorded + sc.volts, has_threshold)
    changes = _changes(draw, sc, odes, lines) if on.get("model_changes") else []
    return Model(tuple(lines), tuple(changes))


def _volt_equation(draw, sc: Scope, methods: set) -> str:
    """A variable in volts driven by the dimensionless ones (in mV), read by no expression (no unit mixing)."""
    sc.volts = ["u0"]
    rhs, bound = draw(expr(sc, FLOAT))
    if any(f in rhs for f in sc.floats):
        methods -= set(METHODS_LINEAR)
    rhs = f"clip({rhs}, -10.0, 10.0)" if bound > 10 else rhs
    return f"du0/dt = (({rhs})*mV - u0) / ({draw(st.integers(1, 20))}*ms) : volt"


def _initial_values(draw, sc: Scope, odes: list) -> list[str]:
    """`@G.var = '...'` for some of the variables (from `i` and literals only)."""
    lines, n, on = [], sc.n, sc.on
    for var, kind in [(k, INT) for k in sc.ints] + [(x, EXACT) for x in sc.exacts] + [(v, EXACT) for v in odes]:
        if draw(st.booleans()):
            text, bound = draw(expr(Scope(n, on), INT if kind == INT else EXACT, top=True))
            name, _, rhs = assignment(var, kind, text, bound, sc, 1000).partition(" = ")
            lines.append(f"@G.{name} = {rhs!r}")
    for u in sc.volts:
        if draw(st.booleans()):
            lines.append(f"@G.{u} = '{lit_float(draw(st.integers(-40, 40)) / 4)}*mV'")
    for b in sc.bools:
        if draw(st.booleans()):
            lines.append(f"@G.{b} = {_comparison(draw, Scope(n, on))!r}")
    return lines


def _monitors(draw, n: int, on: dict, recorded: list, has_threshold: bool) -> list[str]:
    lines = []
    if recorded:
        source = _part(draw, n, on)
        lines.append(f"@mon = StateMonitor({source}, {recorded!r}, record=True{_when(draw, on)}, name='@mon')")
    if has_threshold:
        lines.append(f"@spk = SpikeMonitor({_part(draw, n, on)}, name='@spk')")
        if on.get("rate_monitor"):
            lines.append(f"@rate = PopulationRateMonitor({_part(draw, n, on)}, name='@rate')")
    return lines


def _part(draw, n: int, on: dict) -> str:
    """The group or (with `subgroups` on, half of the time) a contiguous subgroup `@G[a:b]` of it."""
    if not on.get("subgroups") or n < 2 or not draw(st.booleans()):
        return "@G"
    a = draw(st.integers(0, n - 1))
    return f"@G[{a}:{draw(st.integers(a + 1, n))}]"


def _when(draw, on: dict) -> str:
    """`, when=..., order=...` (with `when_order` on, half of the time), else nothing."""
    if not on.get("when_order") or not draw(st.booleans()):
        return ""
    return f", when={draw(st.sampled_from(SLOTS))!r}, order={draw(st.integers(-2, 2))}"


TA_STEPS = (1, 2, 3)        # a TimedArray's dt in steps of defaultclock.dt (read at the clock's own steps)


def _timed_array(draw) -> tuple[str, tuple[str, float]]:
    """A TimedArray of dyadic values (1-D, or 2-D read at a column `i % C`) and its read (text, bound)."""
    rows = draw(st.integers(2, 6))
    cols = draw(st.sampled_from([0, 2, 3]))          # 0: one-dimensional
    values = [[draw(st.integers(-40, 40)) / 4 for _ in range(max(cols, 1))] for _ in range(rows)]
    bound = max(abs(x) for row in values for x in row)
    data = [row[0] for row in values] if cols == 0 else values
    every = draw(st.sampled_from(TA_STEPS))
    line = f"@ta = TimedArray({data!r}, dt={every}*defaultclock.dt, name='@ta')"
    return line, ("@ta(t)" if cols == 0 else f"@ta(t, i % {cols})", bound)


def _comparison(draw, sc: Scope) -> str:
    """A comparison of an integer or exact expression with a literal (exact operands: the same truth value on
    every device)."""
    kind = draw(st.sampled_from([INT, EXACT]))
    text, _ = draw(expr(sc, kind))
    lit = lit_int(draw(st.integers(-5, 5))) if kind == INT else lit_float(draw(st.integers(-8, 8)) / 4)
    return f"{text} {draw(st.sampled_from(COMPARISONS))} {lit}"


def _statements(draw, sc: Scope, min_size: int = 0, targets=None) -> list[str]:
    """Assignments to integer and exact variables (each kept within its bound)."""
    targets = targets if targets is not None else [(k, INT) for k in sc.ints] + [(x, EXACT) for x in sc.exacts] + \
        [(b, BOOL) for b in sc.bools]
    if not targets:
        return []
    chosen = draw(st.lists(st.sampled_from(targets), min_size=min_size, max_size=2, unique=True))
    out = []
    for var, kind in chosen:
        if kind == BOOL:
            out.append(f"{sc.var(var)} = {_comparison(draw, sc)}")
            continue
        text, bound = draw(expr(sc, kind, top=True))
        out.append(assignment(var, kind, text, bound, sc, draw(st.integers(2, 1000))))
    return out


def _condition(draw, sc: Scope, odes: list) -> tuple[str, str, str]:
    """(condition, variable, kind): a variable crossing a literal (a threshold's or a custom event's)."""
    options = [(k, INT) for k in sc.ints] + [(x, EXACT) for x in sc.exacts] + [(v, FLOAT) for v in odes]
    options += [(u, VOLT) for u in sc.volts]
    var, kind = draw(st.sampled_from(options))
    if kind == INT:
        cond = f"{var} >= {draw(st.integers(-5, 50))}"
    elif kind == VOLT:
        cond = f"{var} > {lit_float(draw(st.integers(-8, 40)) / 4)}*mV"
    else:
        cond = f"{var} > {lit_float(draw(st.integers(-8, 40)) / 4)}"
    if sc.bools and draw(st.booleans()):
        b = draw(st.sampled_from(sc.bools))
        cond = f"({cond}) {draw(st.sampled_from(['and', 'or']))} {draw(st.sampled_from(['', 'not ']))}{b}"
    return cond, var, kind


def _threshold(draw, sc: Scope, odes: list) -> list[str]:
    cond, var, kind = _condition(draw, sc, odes)
    reset = _statements(draw, sc)
    if kind in (FLOAT, VOLT) or draw(st.booleans()):   # a reset that moves the variable back (else it fires again)
        reset.append(f"{var} = {lit_float(draw(st.integers(-8, 0)) / 4)}" if kind != INT
                     else f"{var} = {draw(st.integers(-5, 0))}")
        reset[-1] += "*mV" if kind == VOLT else ""
    out = [f"threshold={cond!r}"]
    return out + ([f"reset={_quoted(reset)}"] if reset else [])


def _synapses(draw, sc: Scope, on: dict, summed: bool, events: bool = False) -> list[str]:
    # only commutative updates of the target: Brian warns that anything else depends on the order in which
    # synapses are processed, which devices may legitimately choose differently
    targets = ["c0_post += 1"] + [f"{x}_post += w" for x in sc.exacts] + [f"{v}_post += w" for v in sc.floats
                                                                         if v != "s0"]
    targets += [f"{u}_post += w*mV" for u in sc.volts]
    on_pre = draw(st.lists(st.sampled_from(targets), min_size=1, max_size=2, unique=True))
    model_eqs = ["w : 1"] + (["s0_post = w : 1 (summed)"] if summed else [])
    source, target = _part(draw, sc.n, on), _part(draw, sc.n, on)
    args = [source, target, _quoted(model_eqs), f"on_pre={_quoted(on_pre)}"]
    if events and draw(st.booleans()):      # a second pathway, on the group's custom event
        path = draw(st.lists(st.sampled_from(targets), min_size=1, max_size=2, unique=True))
        args[3] = f"on_pre={{'pre': {_quoted(on_pre)}, '@path': {_quoted(path)}}}"
        args.append("on_event={'@path': '@ev'}")
    if on["on_post"]:
        step = lit_float(draw(st.integers(-8, 8)) / 8)
        args.append(f"on_post={'w = clip(w + ' + step + ', -4.0, 4.0)'!r}")
    delays = on["delays"] and draw(st.booleans())
    if on["delays"] and not delays:
        args.append(f"delay={draw(st.integers(0, 20)) / 10!r}*ms")
    lines = [f"@S = Synapses({', '.join(args)}, name='@S')"]
    how = draw(st.sampled_from(["condition='i != j'", "j='i'", "j='(i + 1) % N_post'", "condition='abs(i - j) <= 1'",
                                ""]))
    if how == "j='i'" and (source, target) != ("@G", "@G"):
        how = "j='i % N_post'"          # a subgroup target may be smaller than the source
    lines.append(f"@S.connect({how})")
    lines.append(f"@S.w = '{draw(st.integers(-8, 8)) / 4!r} + (i % 3) * 0.25 - j * 0.125'")
    if delays:
        lines.append(f"@S.delay = '(i % {draw(st.integers(1, 4))}) * {draw(st.integers(1, 10)) / 10!r}*ms'")
    return lines        # no StateMonitor of w: record=True on synapses is refused by standalone devices


def _changes(draw, sc: Scope, odes: list, lines: list) -> list[str]:
    """What a model changes after `store()` (restore() must undo all of it) or between two runs: its synapses'
    delays and weights, new values of its variables. A homogeneous delay (`delay=` in Synapses()) stays one value."""
    out = []
    synapses = next((ln for ln in lines if ln.startswith("@S = Synapses(")), None)
    if synapses is not None:
        if "delay=" in synapses:
            out.append(f"@S.delay = {draw(st.integers(0, 20)) / 10!r}*ms")
        elif draw(st.booleans()):
            out.append(f"@S.delay = '(j % {draw(st.integers(1, 4))}) * {draw(st.integers(1, 10)) / 10!r}*ms'")
        if draw(st.booleans()):
            out.append(f"@S.w = '{draw(st.integers(-8, 8)) / 4!r} - (j % 2) * 0.5'")
    return out + _initial_values(draw, sc, odes)


NEW_DT = "defaultclock.dt = 0.05*ms"       # halved: every delay, refractory period and TimedArray step stays a
                                          # whole number of steps, and t (a multiple of 0.1 ms) one of the new dt


STORE, CHANGES, RESTORE = "store()", "# the models' changes", "restore()"


def schedule(rng, several: float, dt_change: float = 0.0, store_restore: float = 0.0,
             run_changes: float = 0.0) -> tuple:
    """A pack's run() calls, in steps of dt (drawn from `rng`: every model of a pack shares them), and with
    `dt_change` (drawn after them, so a pack without it keeps its run() calls) the line that halves
    defaultclock.dt before one of the later runs (an item that is a line, not a number of steps). With
    `store_restore` (drawn last; never with a dt change): `store()` before one run, the models' changes
    (CHANGES: each model's `changes`), that run, `restore()`, and the runs from the stored time again, so what
    is monitored comes from the restored state. With `run_changes` (drawn after those, only where neither was
    drawn): the models' changes between two runs (several-run packs)."""
    runs = rng.randint(2, 3) if rng.random() < several else 1
    out = tuple(rng.randint(5, 40) for _ in range(runs))
    if dt_change > 0 and runs > 1 and rng.random() < dt_change:
        k = rng.randint(1, runs - 1)
        out = out[:k] + (NEW_DT,) + out[k:]
    elif store_restore > 0 and rng.random() < store_restore:
        k = rng.randint(0, runs - 1)
        out = out[:k] + (STORE, CHANGES, out[k], RESTORE) + out[k:]
    elif run_changes > 0 and runs > 1 and rng.random() < run_changes:
        k = rng.randint(1, runs - 1)
        out = out[:k] + (CHANGES,) + out[k:]
    return out


def model_shares(shares: dict, runs: tuple) -> dict:
    """The shares the models of a pack with these run() calls are drawn (and shrunk) with: changes only in a pack
    that makes them (after store() or between runs; the models of any other pack are those drawn before)."""
    out = {k: v for k, v in shares.items() if k not in PACK_ONLY}
    if "model_changes" in out and CHANGES not in runs:
        out["model_changes"] = 0.0
    return out
