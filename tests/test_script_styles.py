"""Reading a script's results never probes its objects in a way that can raise (Brian-free; issue 34, item 1).

On brian2 2.5.4, 2.6.0 and 2.7.1 `getattr(prefs, "name", None)` raises KeyError, and `from brian2 import *` puts
`prefs` into the namespace of nearly every user script: `collect.aliases()` then ended every check in
"reading the results failed: KeyError: 'name'". These fakes raise the same way (and worse) without Brian, so the
tests run in every environment; tests/test_script_styles_brian.py runs the real scripts.
"""
from __future__ import annotations

import types

import numpy as np
import pytest

from brian2_harness.check import collect, probe


class LikeOldPrefs:
    """brian2 2.5.4's BrianGlobalPreferences: an unknown attribute is a KeyError, not an AttributeError."""
    __module__ = "brian2.core.preferences"

    def __getattr__(self, name):
        raise KeyError(name)


class NoClass:
    """An object whose `__class__` raises (a lazy proxy whose target is gone): isinstance() raises too."""
    __module__ = "brian2.groups.neurongroup"

    @property
    def __class__(self):
        raise RuntimeError("target is gone")

    def __getattr__(self, name):
        raise RuntimeError("target is gone")


def namespace(**extra):
    ns = {"prefs": LikeOldPrefs(), "proxy": NoClass(), "__name__": "__main__", "np": np,
          "v_trace": np.arange(4.0), "rates": [1.0, 2.0]}
    ns.update(extra)
    return ns


def test_the_fakes_raise_what_getattr_and_isinstance_do_not_catch():
    """Negative control: the plain probes the harness used to make raise on these objects."""
    with pytest.raises(KeyError):
        getattr(LikeOldPrefs(), "name", None)
    with pytest.raises(KeyError):
        hasattr(LikeOldPrefs(), "variables")
    with pytest.raises(RuntimeError):
        isinstance(NoClass(), np.ndarray)


def test_probe_treats_any_exception_as_absent():
    assert probe.attr(LikeOldPrefs(), "name", "?") == "?"
    assert probe.has(LikeOldPrefs(), "variables") is False
    assert probe.instance(NoClass(), np.ndarray) is False
    assert probe.module_of(LikeOldPrefs()) == "brian2.core.preferences"
    assert probe.attr(types.SimpleNamespace(name="G"), "name") == "G"


def test_aliases_skip_objects_that_raise_and_keep_brian_objects():
    group = types.SimpleNamespace(name="neurongroup", variables={})
    type_module = type("NeuronGroup", (), {"__module__": "brian2.groups.neurongroup"})
    real_like = type_module()
    real_like.name, real_like.variables = "neurongroup_1", {}
    out = collect.aliases(namespace(G=group, H=real_like))
    assert out == {"neurongroup_1": "H"}


def test_results_after_the_first_run_with_hostile_objects_in_the_namespace():
    ns = namespace(w=np.ones(3), shape=(2, 3), n=np.int64(7), d={"a": np.arange(2.0), "b": (1.0, 2.0)})
    sandbox = types.SimpleNamespace(namespace=ns, before_run={k: v for k, v in ns.items()
                                                              if k in ("prefs", "proxy", "np")})
    names = collect.results_after_run(sandbox)
    assert {"w", "shape", "n", "d", "v_trace", "rates"} <= set(names)
    notes: list[str] = []
    got = collect.read_globals(ns, notes, only=set(names), prefix="")
    assert {"w", "shape", "n", "d.a", "d.b", "v_trace", "rates"} <= set(got)
    assert np.array_equal(got["shape"]["arrays"]["values"], [2.0, 3.0])
    assert np.array_equal(got["d.a"]["arrays"]["values"], [0.0, 1.0])
    assert got["n"]["arrays"]["values"].tolist() == [7.0]


def test_a_value_rebound_after_the_first_run_is_a_result_even_at_its_old_address():
    """Stimberg 2019's bisection example (`step /= 2` after each run) was compared on numpy and missed on cython:
    its new value had taken the freed old one's address, and the harness compared id()s."""
    ns = namespace(halved=float("2.5"), same=np.ones(2))
    sandbox = types.SimpleNamespace(namespace=ns, before_run=dict(ns))
    ns["halved"] = ns["halved"] / 2
    ns["halved"] = ns["halved"] / 2
    names = collect.results_after_run(sandbox)
    assert "halved" in names and "same" not in names and "v_trace" not in names
    # control: what an id() comparison saw: after two rebinds CPython hands the first float's address back
    x = float("2.5")
    first = id(x)
    x = x / 2
    x = x / 2
    assert id(x) == first


def test_gather_without_monitors_reads_the_arrays_and_ignores_the_rest():
    """What runner.py calls after a `from brian2 import *` script (read_monitors of no monitor is Brian-free)."""
    sandbox = types.SimpleNamespace(snapshots=[], monitors=[], namespace=namespace(), before_run={})
    notes: list[str] = []
    out = collect.gather(sandbox, notes)
    assert set(out) == {"globals.v_trace", "globals.rates"}
    assert collect.available(out, sandbox.namespace) == ["globals.rates", "globals.v_trace"]


def test_a_container_that_raises_while_read_is_a_note():
    class Exploding(list):
        def __iter__(self):
            raise KeyError("boom")
    notes: list[str] = []
    out = collect.read_globals({"bad": Exploding([1, 2]), "ok": np.ones(2)}, notes)
    assert set(out) == {"globals.ok"} and any("'bad' could not be read" in n for n in notes)


def test_every_hist_env_checks_the_styles_and_the_release_examples():
    """tox.ini: each hist-brian2.* env runs the style tests and the examples subset, and an error in the subset
    fails the env (no leading '-'); the subset's command takes the installed release's own examples."""
    import configparser
    from pathlib import Path
    ini = configparser.ConfigParser(interpolation=None)
    ini.read(Path(__file__).resolve().parent.parent / "tox.ini")
    history = ini["history"]
    assert "tests/test_script_styles.py" in history["tests"] and "tests/test_script_styles_brian.py" in history["tests"]
    for flag in ("--version installed", "--subset", "--fail-on-error", "--fetch"):
        assert flag in history["examples"]
    envs = [s for s in ini.sections() if s.startswith("testenv:hist-brian2.")]
    assert len(envs) >= 7
    for env in envs:
        lines = [ln.strip() for ln in ini[env]["commands"].splitlines()]
        assert "{[history]examples}" in lines and "{[history]tests}" in lines, env
