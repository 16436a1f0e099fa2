"""The reference's own sensitivity to rounding: its noise floor, measured instead of assumed.

A run of the reference device at the same seed with every floating-point state variable moved by one ulp, up or
down at random, before the first `run()` and at the end of every time step (`Nudger`, in the device process; numpy
and cython only) is as valid a result as the unperturbed one: the two differ only by rounding of the size a device
with another exp() or summation order makes at every step. How far that moves each observable is its noise floor. Where the floor stays within the exact
tolerance, rounding is not amplified and a device that differs by more has a real difference. Where the floor is
above the tolerance, the model amplifies rounding (chaotic or spike-threshold dynamics): a device difference up to
`FACTOR` times the floor is rounding; a larger one is reported as more than rounding.

`FACTOR` = 10: the perturbation is one ulp per step, a device's rounding differs by a few ulps per step in
ill-conditioned operations (exp near overflow, the cable solver); see docs/statistical-power.md for the measured
floors.
"""
from __future__ import annotations

from dataclasses import dataclass

FACTOR = 10.0
SKIPPED = {"t", "dt", "lastspike", "t_in_timesteps", "timestep", "N", "i", "j", "_spikespace"}


def state_variables(objects) -> list[tuple[str, object]]:
    """("group.var", Variable) of every writeable, non-constant floating-point state variable of the groups in
    `objects` (monitors and clocks excluded; a subgroup's variables once)."""
    import numpy as np
    from brian2.core.variables import ArrayVariable
    done, out = set(), []
    for obj in sorted(objects, key=lambda o: getattr(o, "name", "")):
        if type(obj).__module__.startswith("brian2.monitors"):
            continue
        for name, var in getattr(obj, "variables", {}).items():
            if (not isinstance(var, ArrayVariable) or id(var) in done or name in SKIPPED or name.startswith("_")
                    or var.read_only or getattr(var, "constant", False) or np.dtype(var.dtype).kind != "f"):
                continue
            done.add(id(var))
            out.append((f"{obj.name}.{name}", var))
    return out


class Nudger:
    """Moves every state variable by one ulp, up or down at random (its own generator: the script's random numbers
    are untouched), before the first run() and then at the end of every time step: the rounding a device with
    another exp() or summation order makes at every step, on the reference itself."""

    def __init__(self, objects) -> None:
        import numpy as np
        self.variables = state_variables(objects)
        self.names = [n for n, _ in self.variables]
        self.rng = np.random.default_rng(20261202)
        self.op = None
        self.nudge()

    def nudge(self) -> None:
        import numpy as np
        for _, var in self.variables:
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
        """A NetworkOperation at the end of every step (created once; added to each network that runs)."""
        if self.op is None:
            from brian2 import NetworkOperation
            self.op = NetworkOperation(lambda: self.nudge(), when="end", order=10**6, name="b2h_noise_floor")
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
        return (f"one-ulp perturbations of the reference at every step move {name} by {what} "
                f"({'above' if size > tol else 'within'} the exact tolerance {tol:.3g})")


def measure(exact_result, perturbed_names: list) -> Floor:
    """A Floor from the exact comparison of the perturbed reference run with the unperturbed one."""
    moved = {c.name: (float(c.max_error), float(c.tol), "spikes" if c.kind in ("spikes", "rate") else
                      getattr(c, "unit", "")) for c in exact_result.comparisons}
    return Floor(moved, list(perturbed_names))


def judge(device_result, floor: Floor) -> tuple[str, str, dict]:
    """('agree' | 'fail' | 'amplified', reason, per-observable floor data) for a device whose exact comparison
    failed. 'amplified': the failing observables are all within FACTOR x an amplified floor."""
    bad = [c for c in device_result.comparisons if c.agree is False]
    data = {name: dict(floor=size, tolerance=tol) for name, (size, tol, _) in floor.moved.items()}
    beyond, within = [], []
    for c in bad:
        size = floor.moved.get(c.name, (0.0, 0.0, ""))[0]
        if not floor.amplified(c.name):
            beyond.append(f"{c.name}: {c.detail}; more than rounding: {floor.describe(c.name)}")
        elif c.max_error > FACTOR * size:
            beyond.append(f"{c.name}: off by {c.max_error:.3g}, more than {FACTOR:g} x the noise floor "
                          f"({floor.describe(c.name)})")
        else:
            within.append(f"{c.name}: off by {c.max_error:.3g}, within {FACTOR:g} x the noise floor "
                          f"({floor.describe(c.name)})")
    if device_result.missing:
        beyond.append("only on one device: " + ", ".join(device_result.missing[:5]))
    if beyond:
        return "fail", "; ".join(beyond[:3]), data
    return "amplified", "; ".join(within[:3]), data
