"""The generator's features: each a switch with a share (how often a model that may use it does), and how a
script shows it (so coverage and signatures are read from the script text itself, shrunk or not).

Shares are the probability the strategy draws to switch a feature on in one model (Hypothesis biases its integer
draws, so the measured share differs a little: the report states the measured coverage next to the configured one).
`--features NAME=SHARE,...` overrides them (0 switches a feature off).
"""
from __future__ import annotations

import re

from ..errors import UsageError

# name -> (default share, what it covers)
FEATURES: dict[str, tuple[float, str]] = {
    "int_vars": (0.8, "integer state variables (`k : integer`), set by string expressions"),
    "floordiv": (0.6, "`//` (integer operands; literal divisors uniform over ±1..128, dividends often multiples)"),
    "mod": (0.5, "`%` (divisors drawn nonzero; literal ones as for `//`)"),
    "var_divisor": (0.3, "a divisor that is an expression (`abs(k) % 7 + 1`, never zero)"),
    "power": (0.3, "`**` with small exponents on bounded bases"),
    "mixing": (0.5, "int/float mixing (`int(x)`, `k * 0.5`)"),
    "exact_float": (0.6, "float variables that only take exactly representable values (dyadic)"),
    "float_floordiv": (0.3, "`//` and `%` on exact float operands (divisors drawn nonzero, dyadic)"),
    "functions": (0.6, "exp, log, sqrt, abs, sign, floor, ceil, clip, exprel, sin, cos (domains kept valid)"),
    "ode": (0.8, "differential equations (euler, rk2, rk4, exponential_euler, exact where valid)"),
    "threshold": (0.6, "threshold and reset"),
    "refractory": (0.4, "a refractory period (with threshold)"),
    "short_refractory": (0.25, "a refractory period shorter than dt (of those with refractoriness)"),
    "run_regularly": (0.7, "run_regularly with its own dt"),
    "synapses": (0.4, "Synapses with on_pre (on a group with a threshold), connect by condition or j"),
    "on_post": (0.4, "an on_post pathway (of the synapses)"),
    "delays": (0.5, "synaptic delays, homogeneous or heterogeneous (of the synapses)"),
    "summed": (0.3, "a summed variable (of the synapses)"),
    "several_runs": (0.5, "several run() calls (drawn per pack: every model of a pack shares them)"),
    # stochastic models (random_models.py): a pack is stochastic with its share, its models use the rest
    "stochastic_packs": (0.2, "a pack of stochastic models (drawn per pack; statistical judging where streams differ)"),
    "rand": (0.6, "`rand()` in an initialisation, the threshold or the reset (stochastic models)"),
    "randn": (0.5, "`randn()` in an initialisation or a run_regularly (stochastic models)"),
    "rand_eqs": (0.4, "a `(constant over dt)` subexpression: rand() or randn(), one on (stochastic models, no xi)"),
    "xi_noise": (0.5, "`xi` noise: a stochastic differential equation, method euler (stochastic models)"),
    "binomial": (0.4, "BinomialFunction (n, p drawn; normal-approximation and exact regimes) in a run_regularly"),
    "poisson": (0.4, "`poisson(l)` in a run_regularly (stochastic models)"),
    "poisson_input": (0.4, "PoissonInput onto a group variable (stochastic models)"),
    "poisson_group": (0.4, "a PoissonGroup as the source of Synapses (stochastic models)"),
    "stochastic_rate_monitor": (0.5, "a PopulationRateMonitor (stochastic models)"),
    "bool_vars": (0.4, "boolean variables (`b : boolean`) set by comparisons, read in conditions and as `int(b)`"),
    "events": (0.3, "a custom event (`events=`), `run_on_event`, an EventMonitor, a synaptic pathway on it"),
    "subgroups": (0.3, "subgroups `G[a:b]` as synaptic source/target and monitored (State/Spike/rate monitors)"),
    "rate_monitor": (0.3, "a PopulationRateMonitor (on the group or a subgroup; with a threshold)"),
    "timed_array": (0.3, "a TimedArray of dyadic values, 1-D `ta(t)` or 2-D `ta(t, i % C)`, in exact expressions"),
    "when_order": (0.3, "`when`/`order` of run_regularly and the StateMonitor"),
    "dt_change": (0.3, "defaultclock.dt halved between two run() calls (per pack, of those with several runs)"),
    "units": (0.3, "a variable in volts (`du0/dt = (e*mV - u0) / tau : volt`), thresholds/resets/synapses in mV"),
    "store_restore": (0.2, "store() before a run, restore() after it and the runs again (per pack, deterministic "
                           "packs; standalone devices refuse it: compared on the runtime devices and releases)"),
    "run_changes": (0.2, "the models' changes between two run() calls, without store/restore (per pack, "
                         "deterministic packs with several runs and neither a dt change nor store/restore)"),
    "model_changes": (0.8, "delays, weights and variables changed after store() or between two runs (of the "
                           "models of a pack with store_restore or run_changes)"),
}
# drawn per pack, never by the model strategy (strategies.model_shares)
PACK_ONLY = ("store_restore", "run_changes")

# how a script shows a feature (the model's text, not its generator's draw: shrunk scripts are read the same way)
PATTERNS: dict[str, str] = {
    "int_vars": r": integer",
    "floordiv": r"// (\(-?\d+\)|\d+(?![\d.])|\(abs\()",
    "mod": r"% ((\(-?)?\d+(?![\d.])\)?(?! \+ 1\))(?!\) \* 0\.25)|\(abs\()",
    "var_divisor": r"% 7 \+ 1\)",
    "power": r"\*\*",
    "mixing": r"\bint\(|\bk\d+(_post)? [-+*] \(?-?\d+\.\d+|\d+\.\d+\)? [-+*] k\d",
    "exact_float": r"x\d+ : 1",
    "float_floordiv": r"// \d+\.\d+|% \d+\.\d+",
    "functions": r"\b(exp|log|sqrt|abs|sign|floor|ceil|clip|exprel|sin|cos)\(",
    "ode": r"d\w+/dt",
    "threshold": r"threshold=",
    "refractory": r"refractory=",
    "short_refractory": r"refractory=0\.0\d*\*ms",
    "run_regularly": r"run_regularly\(",
    "synapses": r"Synapses\(",
    "on_post": r"on_post=",
    "delays": r"delay",
    "summed": r"\(summed\)",
    "several_runs": r"(?s)\brun\(.*\brun\(",
    "stochastic_packs": r"\b(rand|randn|poisson)\(|\bxi\b|BinomialFunction\(|PoissonInput\(|PoissonGroup\(",
    "rand": r"\brand\(\)",
    "randn": r"\brandn\(\)",
    "rand_eqs": r"\(constant over dt\)",
    "xi_noise": r"\bxi\b",
    "binomial": r"BinomialFunction\(",
    "poisson": r"\bpoisson\(",
    "poisson_input": r"PoissonInput\(",
    "poisson_group": r"PoissonGroup\(",
    "stochastic_rate_monitor": r"PopulationRateMonitor\(",
    "bool_vars": r": boolean",
    "events": r"\bevents=\{",
    "subgroups": r"G\[\d+:\d+\]",
    "rate_monitor": r"PopulationRateMonitor\(",
    "timed_array": r"ta\(t[,)]",
    "when_order": r"\bwhen='",
    "dt_change": r"\ndefaultclock\.dt = 0\.05\*ms",
    "units": r": volt\b",
    "store_restore": r"\nrestore\(\)",
    "run_changes": r"\nrun\([^\n]*\)\n(?!run\(|store\(|restore\(|defaultclock)\w+\.\w+ = [^\n]*\n(?:[^\n]*\n)*?run\(",
    "model_changes": r"\n(?:store\(\)|run\([^\n]*\))\n(?!run\(|store\(|restore\(|defaultclock)\w+\.\w+ = ",
}


def shares(overrides: str | None = None) -> dict[str, float]:
    """The default shares with `NAME=SHARE,...` applied; a bad item is a usage error naming the allowed values."""
    out = {name: share for name, (share, _) in FEATURES.items()}
    for item in filter(None, (x.strip() for x in (overrides or "").split(","))):
        name, _, value = item.partition("=")
        if name not in out:
            raise UsageError(f"--features: unknown feature {name!r} (allowed: {', '.join(FEATURES)})")
        try:
            share = float(value)
        except ValueError:
            share = -1.0
        if not 0.0 <= share <= 1.0:
            raise UsageError(f"--features: {name} needs a share between 0 and 1 (NAME=SHARE), got {value!r}")
        out[name] = share
    return out


def used(script: str) -> list[str]:
    """The features a script's text shows, in FEATURES order."""
    return [name for name in FEATURES if re.search(PATTERNS[name], script)]
