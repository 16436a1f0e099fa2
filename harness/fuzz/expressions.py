"""Hypothesis strategies for Brian2 expressions that are valid on every device by construction.

Three kinds, each with a bound on its magnitude that every operator keeps below `LIMIT` (no integer overflow on
int32, no float overflow):

* ``int``: integers (`i`, integer variables, literals); `+ - *`, `//` and `%` by a literal drawn nonzero or by
  `(abs(e) % 7 + 1)` (never zero, whatever the sign rules), `int(exact)`, `e ** p` (p in 0..3, small bases).
  A literal divisor D is uniform over ±1..DIVISOR_MAX over a campaign, and its dividend is often an exact multiple
  of it, `(e * D)`, or next to one, `((e * D) + b)`: exact quotients are the corner where a floor computed through
  a rounded reciprocal goes wrong (Brian2 #1495: `98 // 98 == 0` under -ffast-math).
* ``exact``: floats that are exactly representable (dyadic literals k/4, integers, exact variables), closed under
  `+ - *`, abs, floor, ceil, sign, clip, and `//`/`%` by a dyadic literal: every device computes the same bits,
  so discontinuous functions (floor, int, `//`, `%`, sign) are applied to exact values only: a rounding difference
  of one ulp can never be turned into a jump (that would be a false alarm, not a device difference).
* ``float``: anything continuous: ODE variables, decimals, exp/log/sqrt/sin/cos/exprel with their domains kept
  valid (`log(abs(e) + 1)`, `sqrt(abs(e))`, `exp(clip(e, -5, 5))`), division by `(abs(e) + 1)`.

An expression is drawn as (text, bound). Strategies shrink towards literals and the first operator listed.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from hypothesis import strategies as st

INT, EXACT, FLOAT = "int", "exact", "float"
BOOL = "bool"           # boolean variables: assigned comparisons of int/exact expressions, read as `int(b)`
LIMIT = 10**6
IBOUND = 1000          # every integer variable stays within ±IBOUND (assignments wrap with % otherwise)
XBOUND = 1000.0        # every exact float variable too (assignments clip otherwise)


@dataclass
class Scope:
    """What an expression may read: the group's size and variables, and the features switched on for the model."""
    n: int
    on: dict
    ints: list = field(default_factory=list)
    exacts: list = field(default_factory=list)
    floats: list = field(default_factory=list)
    suffix: str = ""            # "_pre" / "_post" inside synapses
    bools: list = field(default_factory=list)      # boolean variables (read as `int(b)` in integer expressions)
    tas: list = field(default_factory=list)        # (text, bound) of TimedArray reads (exact values)
    volts: list = field(default_factory=list)      # variables in volts (read by no expression: no unit mixing)

    def var(self, name: str) -> str:
        return name + self.suffix


def lit_int(k: int) -> str:
    return f"({k})" if k < 0 else str(k)


def lit_float(x: float) -> str:
    text = repr(float(x))
    return f"({text})" if x < 0 else text


def flag(share: float):
    """True with probability ~share; shrinks to False (feature off)."""
    cut = 100 - round(100 * share)
    return st.integers(0, 99).map(lambda x: x >= cut) if share > 0 else st.just(False)


DIVISOR_MAX = 128       # literal integer divisors: |D| in 1..DIVISOR_MAX
WIDE = 2**16            # drawn from a 16-bit range reduced modulo DIVISOR_MAX (see divisor_int)


def _signed(t: tuple[int, bool]) -> int:
    d = t[0] % DIVISOR_MAX + 1
    return -d if t[1] else d


def divisor_int():
    """A nonzero literal divisor, |D| uniform over 1..DIVISOR_MAX and either sign over a campaign.

    Drawn as a 16-bit integer reduced modulo DIVISOR_MAX: Hypothesis draws a range of up to 2**24 values uniformly,
    whereas `integers(1, 100)` came out concentrated (148 divisors of a campaign took 54 distinct values). The
    shrinker still moves D towards 1: the smallest draw with the residue of D is D - 1 itself."""
    return st.tuples(st.integers(0, WIDE - 1), st.booleans()).map(_signed)


DIVIDENDS = ("as drawn", "multiple", "near multiple")     # shrinks towards the first


def dividend(draw, sc: Scope, a: str, bound: float, c: int) -> tuple[str, float]:
    """The dividend of `// c` or `% c` (c a literal): `a` as drawn, an exact multiple `(a * c)` or a near one
    `((a * c) + b)` with |b| <= 2, within LIMIT (else `a` as drawn). A multiple of a literal is a multiple of `i`
    instead: Brian folds constant expressions on the host, so no device would compute it."""
    form = draw(st.sampled_from(DIVIDENDS))
    if form != DIVIDENDS[0] and constant(a):
        a, bound = "i", max(sc.n - 1, 0)
    if form == DIVIDENDS[0] or bound * abs(c) + 2 > LIMIT:
        return a, bound
    if form == DIVIDENDS[1]:
        return f"({a} * {lit_int(c)})", bound * abs(c)
    b = draw(st.integers(-2, 2))
    return f"(({a} * {lit_int(c)}) + {lit_int(b)})", bound * abs(c) + abs(b)


FUNCTIONS = re.compile(r"\b(exp|log|sqrt|abs|sign|floor|ceil|clip|exprel|sin|cos|int)\(")


def constant(text: str) -> bool:
    """An expression that reads no variable (only literals, operators and functions): Brian folds it."""
    return re.search(r"[A-Za-z_]", FUNCTIONS.sub("(", text)) is None


DYADIC_DIVISORS = (1.0, 0.5, 2.0, 0.25, 4.0, 1.5, 0.75, 2.5, 3.0)


@st.composite
def leaf(draw, sc: Scope, kind: str):
    if kind == INT:
        options = ["const", "i"] + [f"v:{v}" for v in sc.ints] + [f"b:{b}" for b in sc.bools]
    elif kind == EXACT:
        options = ["const"] + [f"v:{v}" for v in sc.exacts] + (["int"] if sc.on.get("mixing") else [])
    else:
        options = ["const", "exact"] + [f"v:{v}" for v in sc.floats]
    if sc.tas and kind != FLOAT and draw(st.booleans()):       # a TimedArray read, when there is one: often
        text, bound = sc.tas[0]
        return (text, bound) if kind == EXACT else (f"int({text})", int(bound) + 1)
    pick = draw(st.sampled_from(options))
    if pick == "const":
        if kind == INT:
            k = draw(st.integers(-100, 100))
            return lit_int(k), abs(k)
        if kind == EXACT:
            x = draw(st.integers(-40, 40)) / 4
            return lit_float(x), abs(x)
        x = draw(st.integers(-300, 300)) / 100
        return lit_float(x), abs(x)
    if pick == "i":
        return "i", max(sc.n - 1, 0)
    if pick == "int":
        return draw(expr(sc, INT, 0))
    if pick == "exact":
        return draw(expr(sc, EXACT, 0))
    if pick.startswith("b:"):
        return f"int({sc.var(pick[2:])})", 1
    name = pick[2:]
    return sc.var(name), IBOUND if kind == INT else XBOUND if name in sc.exacts else 100.0


def _ops(sc: Scope, kind: str) -> list[str]:
    on = sc.on
    if kind == INT:
        ops = ["+", "-", "*"]
        ops += ["//"] if on.get("floordiv") else []
        ops += ["%"] if on.get("mod") else []
        ops += ["//v", "%v"] if on.get("var_divisor") and (on.get("floordiv") or on.get("mod")) else []
        ops += ["int"] if on.get("mixing") else []
        ops += ["**"] if on.get("power") else []
        ops += ["abs"] if on.get("functions") else []
        return ops
    if kind == EXACT:
        ops = ["+", "-", "*"]
        ops += ["floor", "ceil", "abs", "sign", "clip"] if on.get("functions") else []
        ops += ["//", "%"] if on.get("float_floordiv") else []
        ops += ["**"] if on.get("power") else []
        return ops
    ops = ["+", "-", "*", "/"]
    ops += ["exp", "log", "sqrt", "sin", "cos", "exprel", "abs", "clip"] if on.get("functions") else []
    ops += ["**"] if on.get("power") else []
    return ops


FAVOURED = ("//", "%", "//v", "%v", "int", "**")      # the operators where devices have differed before

# `abs()` of anything holding `exp(clip(...))` is refused by Brian (2.5.4 and 2.10.1): sympy knows no sign for
# `clip`, rewrites Abs(exp(z)) as exp(re(z)), and `re` is not a Brian function ('The identifier "re" could not be
# resolved'; three models of a 2.5.4 campaign). The reference refuses such a model, so the generator does not
# put an exp() under the ops that wrap their operand in abs() (the op is left out there: the model stays valid).
ABS_OF_OPERAND = ("abs", "log", "sqrt")
EXP_IN = re.compile(r"\bexp\(")


@st.composite
def expr(draw, sc: Scope, kind: str, depth: int = 2, top: bool = False):
    """(text, bound) of an expression of `kind`. `top`: the outermost operator of an assignment, which prefers
    the integer and division operators that are switched on (half of the time), so their share in scripts follows
    the feature's share instead of being diluted by the other operators."""
    ops = _ops(sc, kind)
    favoured = [op for op in ops if op in FAVOURED] if kind != FLOAT else []
    if top and favoured and draw(st.booleans()):
        op = draw(st.sampled_from(favoured))
    elif depth <= 0 or not draw(st.booleans()):
        return draw(leaf(sc, kind))
    else:
        op = draw(st.sampled_from(ops))
    a, ba = draw(expr(sc, kind, depth - 1))
    if op in ("+", "-", "*"):
        b, bb = draw(expr(sc, kind, depth - 1))
        bound = ba * bb if op == "*" else ba + bb
        return (f"({a} {op} {b})", bound) if bound <= LIMIT else (a, ba)
    if op in ("//", "%"):
        if kind == INT:
            c = draw(divisor_int())
            a, _ = dividend(draw, sc, a, ba, c)       # (a * c + b) // c is within 1 of a
            return f"({a} {op} {lit_int(c)})", ba + 1 if op == "//" else abs(c)
        c = draw(st.sampled_from(DYADIC_DIVISORS))
        return f"({a} {op} {lit_float(c)})", ba / c + 1 if op == "//" else c
    if op in ("//v", "%v"):
        b, _ = draw(expr(sc, INT, depth - 1))
        return f"({a} {op[0:-1]} (abs({b}) % 7 + 1))", ba if op == "//v" else 7
    if op == "int":
        e, be = draw(expr(sc, EXACT, depth - 1))
        return f"int({e})", int(be) + 1
    if op == "**":
        p = draw(st.integers(0, 3))
        if kind == INT:
            return (f"({a} ** {p})", ba ** p) if ba ** p <= LIMIT else (a, ba)
        if kind == EXACT:
            return (f"({a} ** {p})", ba ** p) if ba <= 64 else (a, ba)
        return f"(clip({a}, -3, 3) ** {p})", 3.0 ** p
    if op in ABS_OF_OPERAND and EXP_IN.search(a):
        return a, ba                # see EXP_IN
    if op == "/":
        b, _ = draw(expr(sc, kind, depth - 1))
        return (f"({a} / (abs({b}) + 1))", ba) if not EXP_IN.search(b) else (a, ba)
    if op in ("floor", "ceil", "abs", "sign", "sin", "cos"):
        return f"{op}({a})", 1.0 if op in ("sign", "sin", "cos") else ba + 1
    if op == "clip":
        lo = draw(st.integers(-40, 0)) / 4
        hi = lo + draw(st.integers(0, 40)) / 4
        return f"clip({a}, {lit_float(lo)}, {lit_float(hi)})", max(abs(lo), abs(hi))
    if op == "exp":
        return f"exp(clip({a}, -5, 5))", 150.0
    if op == "exprel":
        return f"exprel(clip({a}, -5, 5))", 30.0
    if op == "log":
        return f"log(abs({a}) + 1)", 15.0
    return f"sqrt(abs({a}))", ba ** 0.5 + 1     # sqrt


def assignment(target: str, kind: str, text: str, bound: float, sc: Scope, modulus: int) -> str:
    """`target = text`, kept within the variable's bound: integers wrap with % modulus, exact floats clip."""
    if kind == INT and bound > IBOUND:
        text = f"({text}) % {modulus}"
    elif kind == EXACT and bound > XBOUND:
        text = f"clip({text}, -1000.0, 1000.0)"
    elif kind == FLOAT:
        text = f"clip({text}, -10.0, 10.0)" if bound > 10 else text
    return f"{sc.var(target)} = {text}"
