"""The reference's own sensitivity to rounding: its noise floor, measured instead of assumed.

A run of the reference device at the same seed with every floating-point state variable moved by one ulp before
the first `run()` (`perturb`, in the device process) is as valid a result as the unperturbed one: the two differ
only by rounding. How far that moves each observable is its noise floor. Where the floor stays within the exact
tolerance, rounding is not amplified and a device that differs by more has a real difference. Where the floor is
above the tolerance, the model amplifies rounding (chaotic or spike-threshold dynamics): a device difference up to
`FACTOR` times the floor is rounding; a larger one is reported as more than rounding.

`FACTOR` = 10: the perturbation changes the state once by one ulp, a device rounds differently at every step
(exp/log implementations, summation order), so its difference grows from a larger start. Measured with
brian2 2.10.1, compartmental/spike_initiation.py (100 ms): see docs/statistical-power.md.
"""
from __future__ import annotations

from dataclasses import dataclass

FACTOR = 10.0
SKIPPED = {"t", "dt", "lastspike", "t_in_timesteps", "timestep", "N", "i", "j", "_spikespace"}


def perturb(objects) -> list[str]:
    """Move every writeable floating-point state variable of `objects` by one ulp (towards +inf; zeros and
    non-finite values stay). Returns the names perturbed ("group.var")."""
    import numpy as np
    from brian2.core.variables import ArrayVariable
    done, names = set(), []
    for obj in objects:
        for name, var in getattr(obj, "variables", {}).items():
            if (not isinstance(var, ArrayVariable) or id(var) in done or name in SKIPPED or name.startswith("_")
                    or var.read_only or np.dtype(var.dtype).kind != "f"):
                continue
            done.add(id(var))
            try:
                values = np.array(var.get_value(), copy=True)
            except Exception:       # noqa: BLE001  (a variable the device cannot read before the run)
                continue
            move = np.isfinite(values) & (values != 0)
            if not move.any():
                continue
            values[move] = np.nextafter(values[move], np.inf)
            var.set_value(values)
            names.append(f"{obj.name}.{name}")
    return names


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
        return (f"a one-ulp perturbation of the reference moves {name} by {what} "
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
        size, tol, _ = floor.moved.get(c.name, (0.0, 0.0, ""))
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
