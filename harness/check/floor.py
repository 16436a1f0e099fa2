"""The reference's own sensitivity to rounding: its noise floor, measured instead of assumed.

A run of the reference device at the same seed with every floating-point state variable moved by one ulp, up or
down at random, before the first `run()` and at the end of every time step, and every private floating-point array
that code objects precompute at the start of a run (a SpatialNeuron's cable-solver coefficients) moved by one ulp
once, after the first step of each run (`Nudger`, in the device process; numpy and cython only), is as valid a
result as the unperturbed one: the two differ only by rounding of the size a device with another exp(), division or
summation order makes. The state nudges are random at every step, so they add up like a random walk; the
precomputed arrays are moved once and keep their offset, so they add up the way a device that rounds those
coefficients differently does, at every step in the same direction (Brian2's cable solver turns a one-ulp difference
there into a relative error of about 2e-10 in a soma's voltage per step: ci/brian2_cable_soma_repro.py).
How far that moves each observable is its noise floor.
Where the floor stays within the exact tolerance, rounding is not amplified and a device that differs by more has a
real difference. Where the floor is above the tolerance, the model amplifies rounding (chaotic or spike-threshold
dynamics): a device difference up to `FACTOR` times the floor is rounding; a larger one is reported as more than
rounding.

`FACTOR` = 10: the perturbation is one ulp per step, a device's rounding differs by a few ulps per step in
ill-conditioned operations (exp near overflow, the cable solver); see docs/statistical-power.md for the measured
floors. A device difference within `FACTOR` x the floor is rounding; a larger one is more than rounding.

`RUNS` = 3 realizations (other up/down choices), and the floor is the largest move of each observable among them:
one realization is a single draw of a wide distribution (spike_initiation's soma voltage moved by 2.0e-8 and 2.7e-8 V
in two of five realizations and by 1.6e-7 to 5.8e-7 V in the other three), and a floor that happens to be low turns
rounding into a false alarm.
"""
from __future__ import annotations

from dataclasses import dataclass

from brian2_harness import nonfinite
from brian2_harness.verdicts import FAIL

FACTOR = 10.0
RUNS = 3
SKIPPED = {"t", "dt", "lastspike", "t_in_timesteps", "timestep", "N", "i", "j", "_spikespace"}


def _float_arrays(obj, private: bool):
    """(name, Variable) of `obj`'s floating-point arrays: public writeable state, or private precomputed ones."""
    import numpy as np
    from brian2.core.variables import ArrayVariable
    for name, var in getattr(obj, "variables", {}).items():
        if (not isinstance(var, ArrayVariable) or name in SKIPPED or (private and name.endswith("dt"))
                or np.dtype(var.dtype).kind != "f" or name.startswith("_") != private):
            continue
        if not private and (var.read_only or getattr(var, "constant", False)):
            continue
        yield name, var


def state_variables(objects) -> list[tuple[str, object]]:
    """("group.var", Variable) of every writeable, non-constant floating-point state variable of the groups in
    `objects` (monitors and clocks excluded; a subgroup's variables once)."""
    done, out = set(), []
    for obj in sorted(objects, key=lambda o: getattr(o, "name", "")):
        if type(obj).__module__.startswith("brian2.monitors"):
            continue
        for name, var in _float_arrays(obj, private=False):
            if id(var) not in done:
                done.add(id(var))
                out.append((f"{obj.name}.{name}", var))
    return out


def precomputed_arrays(objects) -> list[tuple[str, object]]:
    """("object.var", Variable) of the private floating-point arrays of the groups in `objects` and of the objects
    they contain (state updaters): coefficients a code object computes before a run and uses at every step."""
    done, out = set(), []

    def visit(obj):
        if id(obj) in done or type(obj).__module__.startswith("brian2.monitors"):
            return
        done.add(id(obj))
        for name, var in _float_arrays(obj, private=True):
            if id(var) not in done:
                done.add(id(var))
                out.append((f"{obj.name}.{name}", var))
        for child in sorted(getattr(obj, "contained_objects", []), key=lambda o: getattr(o, "name", "")):
            visit(child)
    for obj in sorted(objects, key=lambda o: getattr(o, "name", "")):
        visit(obj)
    return out


class Nudger:
    """Moves every state variable by one ulp, up or down at random (its own generator: the script's random numbers
    are untouched), before the first run() and then at the end of every time step, and every precomputed private
    array by one ulp once per run, after its first step: the rounding a device with another exp(), division or
    summation order makes, on the reference itself."""

    def __init__(self, objects, realization: int = 1) -> None:
        import numpy as np
        self.variables = state_variables(objects)
        self.precomputed = precomputed_arrays(objects)
        self.names = [n for n, _ in self.variables] + [n + " (once per run)" for n, _ in self.precomputed]
        self.rng = np.random.default_rng(20261202 + realization)
        self.op = None
        self.fresh = True          # the next step is the first of a run: its precomputed arrays are moved then
        self.nudge(self.variables)

    def step(self) -> None:
        if self.fresh:
            self.fresh = False
            self.nudge(self.precomputed)
        self.nudge(self.variables)

    def nudge(self, variables) -> None:
        import numpy as np
        for _, var in variables:
            try:
                values = np.array(var.get_value(), dtype=var.dtype, copy=True)
            except Exception:       # noqa: BLE001, S112  (a variable the device cannot read before the run)
                continue
            move = np.isfinite(values) & (values != 0)
            if not move.any():
                continue
            up = self.rng.random(values.shape) < 0.5
            values[move & up] = np.nextafter(values[move & up], np.inf)
            values[move & ~up] = np.nextafter(values[move & ~up], -np.inf)
            var.set_value(values)

    def operation(self):
        """A NetworkOperation at the end of every step (created once; added to each network before it runs, so
        each run() moves its freshly precomputed arrays once)."""
        self.fresh = True
        if self.op is None:
            from brian2 import NetworkOperation
            self.op = NetworkOperation(lambda: self.step(), when="end", order=10**6, name="b2h_noise_floor")
        return self.op


@dataclass
class Floor:
    """Per observable: how far the one-ulp-perturbed reference run moved it (max |diff|; unmatched spikes)."""
    moved: dict            # observable -> (size, tolerance, unit)
    perturbed: list        # the variables perturbed

    def amplified(self, name: str) -> bool:
        size, tol, _ = self.moved.get(name, (0.0, 0.0, ""))
        return size > tol

    def describe(self, name: str) -> str:
        size, tol, unit = self.moved.get(name, (0.0, 0.0, ""))
        what = f"{size:g} unmatched spikes" if unit == "spikes" else f"{size:.3g}{' ' + unit if unit else ''}"
        return (f"one-ulp perturbations of the reference (the largest of {RUNS} runs) move {name} by {what} "
                f"({'above' if size > tol else 'within'} the exact tolerance {tol:.3g})")


def measure(exact_results, perturbed_names: list) -> Floor:
    """A Floor from the exact comparisons of perturbed reference runs (one result or a list: the largest move of
    each observable) with the unperturbed one."""
    moved = {}
    for res in exact_results if isinstance(exact_results, list) else [exact_results]:
        for c in res.comparisons:
            size = float(c.max_error)
            if c.name not in moved or size > moved[c.name][0]:
                moved[c.name] = (size, float(c.tol), "spikes" if c.kind in ("spikes", "rate") else
                                 getattr(c, "unit", ""))
    return Floor(moved, list(perturbed_names))


def judge(device_result, floor: Floor) -> tuple[str, str, dict]:
    """('agree' | 'fail' | 'amplified', reason, per-observable floor data) for a device whose exact comparison
    failed. 'amplified': the failing observables are all within FACTOR x the floor (which is then above a tenth of
    the tolerance, since they failed it)."""
    bad = [c for c in device_result.comparisons if c.agree is False]
    data = {name: dict(floor=size, tolerance=tol) for name, (size, tol, _) in floor.moved.items()}
    beyond, within = [], []
    for c in bad:
        size = floor.moved.get(c.name, (0.0, 0.0, ""))[0]
        outside = nonfinite.beyond(c.max_error, FACTOR * size)     # a NaN or inf difference is never rounding
        if outside and not floor.amplified(c.name):
            beyond.append(f"{c.name}: {c.detail}; more than rounding: {floor.describe(c.name)}")
        elif outside:
            beyond.append(f"{c.name}: off by {c.max_error:.3g}, more than {FACTOR:g} x the noise floor "
                          f"({floor.describe(c.name)})")
        else:
            within.append(f"{c.name}: off by {c.max_error:.3g}, within {FACTOR:g} x the noise floor "
                          f"({floor.describe(c.name)})")
    if device_result.missing:
        beyond.append("only on one device: " + ", ".join(device_result.missing[:5]))
    if beyond:
        return FAIL, "; ".join(beyond[:3]), data
    return "amplified", "; ".join(within[:3]), data
