"""Every finding in one of three classes, by rules written from a triaged finding (each rule names its source):

* ``brian2 bug``: Brian2 computes something wrong on one device (a known issue with its number, or a new one:
  ``new`` until someone has triaged it; a new one makes `fuzz` exit 1);
* ``documented difference``: the devices are allowed to differ, and Brian2's documentation says so (source named);
* ``harness false alarm``: the harness or the generator is wrong (a model outside Brian's defined behaviour, a
  comparison that cannot apply). Must stay 0: a rule here is a bug to fix in the generator or check, never a way
  to silence a feature.

A finding that no longer reproduces at the end of a campaign is ``flaky`` (findings.py) and never a bug.
"""
from __future__ import annotations

import re

from brian2_harness.devices import get_device
from brian2_harness.devices.releases import base_name, release_of


def parse_version(text: str) -> tuple:
    return tuple(int(x) for x in re.findall(r"\d+", text)[:3])

BUG, DOCUMENTED, FALSE_ALARM = "brian2 bug", "documented difference", "harness false alarm"
CLASSES = (BUG, DOCUMENTED, FALSE_ALARM)


def _before(release: str, version: str) -> bool:
    try:
        return parse_version(release) < parse_version(version)
    except Exception:      # noqa: BLE001  (an unparsable release matches no version rule)
        return False


# clip() whose first argument is an integer expression: `i`, integer variables, integer literals, + - * and parentheses
# (`clip(i, ...)`, `clip((i + 100), ...)`); a float literal or a float variable in it does not match
INT_CLIP = re.compile(r"clip\((?:\s|[-+*()]|\bi\b|\bk\d+(?:_post|_pre)?\b|(?<![.\d])\d+(?![.\d]))+,")

RULES = [
    dict(name="brian2-1495", cls=BUG, known=True,
         when=lambda f, s: (_any(f, "standalone", "cpp_functions", before="2.6.0") and f.outcome == "fail"
                            and "int" in _kinds(f)
                            and re.search(r"//|%", s) is not None),
         reason="Brian2 #1495 (fixed in 2.6.0 by PR #1496): C++ integer `//` is floor(1.0*x/y), which -ffast-math "
                "computes with a reciprocal (98 // 98 = 0), and `%` truncates",
         source="models/known_bugs/floor_division_cpp.py; Brian2 2.6.0 release notes"),
    dict(name="brian2-clip-int-cpp", cls=BUG, known=False,
         when=lambda f, s: (_any(f, "cpp_functions") and f.outcome == "fail"
                            and "float" in _kinds(f)
                            and INT_CLIP.search(s) is not None),
         reason="new (found by fuzz on 2.10.1): Brian2's C++ `_clip` is `template <typename T> T _clip(const T value, "
                "const double a_min, const double a_max)`, so clip() of an integer with float bounds returns an "
                "integer: `clip(0, -6.25, -3.75)` is -3 on cython and cpp_standalone, -3.75 on numpy",
         source="ci/brian2_clip_int_repro.py; brian2 2.10.1 brian2/codegen/generators/cpp_generator.py (clip_code)"),
    dict(name="brian2-binomial-cython-p", cls=BUG, known=False,
         when=lambda f, s: (f.outcome == "fail" and _stream_of(f, "cython_random") and _exact_binomial_above_half(s)),
         reason="new (found by fuzz on 2.10.1): Brian2's Cython BinomialFunction (exact algorithm, p > 0.5) puts p "
                "where its C++ twin puts P = 1 - p into the inversion's recurrence, so it draws from another "
                "distribution: BinomialFunction(39, 0.703125, approximate=False) has mean 33.8 and variance 0.38 on "
                "cython, 27.4 and 8.1 on numpy and cpp_standalone (expected 27.42, 8.14)",
         source="brian2 2.10.1 brian2/input/binomial.py (_generate_cython_code: '%P%': p; _generate_cpp_code: P)"),
    dict(name="brian2-1541", cls=BUG, known=True,
         when=lambda f, s: (f.outcome == "fail" and NAMED_EVENT_PATHWAY.search(s) is not None
                            and _releases_between(f, "2.6.0", "2.7.0")),
         reason="Brian2 #1541 (2.6.0 only, fixed in 2.7.0): a synaptic pathway named in `on_event` runs on the "
                "wrong event, so what it updates differs from every other release",
         source="models/known_bugs/custom_event_pathways.py; Brian2 2.7.0 release notes"),
    dict(name="brian2-1520", cls=BUG, known=True,
         when=lambda f, s: (f.outcome == "fail" and FLOAT_ONE.search(s) is not None
                            and _releases_between(f, "2.6.0", "2.7.0", "standalone", "cpp_functions")),
         reason="Brian2 #1520 (2.6.0 only, fixed in 2.7.0): the C++ renderer writes the number 1 as `true`, so "
                "`n * (1.0/M)` becomes `1.0f*(true * n)/M` and is computed in single precision",
         source="models/known_bugs/true_literal_cpp.py; Brian2 2.7.0 release notes"),
    dict(name="brian2-clip-fused-cython", cls=BUG, known=False,
         when=lambda f, s: _any(f, "cython_compiled") and f.outcome == "fail" and CLIP_ABS.search(s) is not None,
         reason="new (found by fuzz on 2.10.1; 2.5.4-2.11.0): `clip(x / (abs(i) + 1), ...)` makes Cython stop on "
                "Brian's fused-type `_clip` ('Invalid use of fused types, type cannot be specialized') and the run "
                "goes on without that code object: the variables it updates keep their values",
         source="models/known_bugs/clip_abs_cython.py"),
    dict(name="brian2-dt-change-spike-in-flight-cpp", cls=BUG, known=False,
         when=lambda f, s: (_any(f, "standalone") and f.outcome == "fail" and DT_CHANGE.search(s) is not None
                            and "delay" in s),
         reason="new (found by fuzz on 2.10.1; 2.5.4-2.11.0): a spike in flight when defaultclock.dt changes "
                "between two run() calls arrives one step later on cpp_standalone than on numpy and cython",
         source="models/known_bugs/dt_change_spike_in_flight_cpp.py"),
    dict(name="brian2-1726", cls=BUG, known=True,
         when=lambda f, s: (f.outcome == "fail" and STORE_DELAY.search(s) is not None
                            and (_before(f.release or "", "2.10.0") or _releases_between(f, "0", "2.10.0"))),
         reason="Brian2 #1726 (fixed in 2.10.0): restore() did not restore synaptic delays, so delays set after "
                "store() survived it on the runtime devices",
         source="models/known_bugs/store_restore_delays.py; Brian2 2.10.0 release notes"),
]
STORE_DELAY = re.compile(r"^store\(\)\n(?:[^\n]*\n)*?\w+\.delay = [^\n]*\n(?:[^\n]*\n)*?restore\(\)", re.M)

FLOAT_ONE = re.compile(r"(?<![\w.])1\.0*(?![\w.])")     # the literal 1.0 (or 1.), which 2.6.0's C++ writes `true`
NAMED_EVENT_PATHWAY = re.compile(r"on_event=\{'\w+': '\w+'")


def _releases_between(finding, low: str, high: str, *attributes: str) -> bool:
    """Whether a disagreeing device (with every one of these Device attributes) runs a release in [low, high): its
    own (`numpy@2.6.0`) or the campaign's."""
    return any(not _before(release_of(d) or finding.release, low) and _before(release_of(d) or finding.release, high)
               and all(getattr(get_device(base_name(d)), a, False) for a in attributes) for d in finding.devices)


CLIP_ABS = re.compile(r"clip\([^,]*\babs\(")
DT_CHANGE = re.compile(r"^run\([^\n]*\n(?:[^\n]*\n)*?defaultclock\.dt = ", re.M)   # dt set after a run()

BINOMIAL = re.compile(r"BinomialFunction\((\d+), ([\d.]+), approximate=(True|False)")


def _exact_binomial_above_half(script: str) -> bool:
    """A BinomialFunction of the script that Brian draws with its exact algorithm, with p > 0.5."""
    return any(float(p) > 0.5 and not (approx == "True" and int(n) * float(p) > 5 and int(n) * (1 - float(p)) > 5)
               for n, p, approx in BINOMIAL.findall(script))


def _stream_of(finding, kind: str) -> bool:
    """Whether a disagreeing device draws its random numbers the way `kind` names (Device.random_stream)."""
    return any(getattr(get_device(base_name(d)), "random_stream", "") == kind for d in finding.devices)


def _any(finding, *attributes: str, before: str | None = None) -> bool:
    """Whether a disagreeing device of the finding has every one of these Device attributes (devices/base.py) and,
    with `before`, runs a release older than that: its own (`cpp_standalone@2.5.4`, `fuzz --against-release`)
    or the campaign's."""
    return any(all(getattr(get_device(base_name(d)), a, False) for a in attributes)
               and (before is None or _before(release_of(d) or finding.release, before)) for d in finding.devices)


def _kinds(finding) -> list[str]:
    return [k.split(":", 1)[0] for k in getattr(finding, "observable_kinds", [])] or \
        finding.signature.split("|")[2].split(",")


def classify(finding, script: str) -> dict:
    """{class, rule, reason, source, known} of a finding (the first rule that matches; else a new Brian2 bug)."""
    for rule in RULES:
        try:
            hit = rule["when"](finding, script)
        except Exception:      # noqa: BLE001  (a rule that cannot read a finding does not match it)
            hit = False
        if hit:
            return {"class": rule["cls"], "rule": rule["name"], "reason": rule["reason"], "source": rule["source"],
                    "known": rule["known"]}
    return {"class": BUG, "rule": "new", "known": False, "source": "",
            "reason": "not matched by any triage rule: a new device disagreement to triage (docs/fuzzing.md)"}
