"""Which random numbers generated code drew: a fingerprint per run, so that device pairs on one stream are judged
exactly and only pairs on different streams statistically.

A device process records values that Brian's `rand()` and `randn()` returned to generated code, separately per
function: the first `FIRST` draws and then draw number 2^k (64, 128, 256, ...) up to the end of the run, so that
two runs whose draws drift apart later (another number of draws per step) are told apart too:

* numpy: `numpy.random` functions called from generated code (rand/randn and, under "other", binomial, poisson
  and choice, which the C++ code builds from rand/randn: a run that uses them never matches a C++ one);
* cython: the Cython `_rand`/`_randn` read buffers of 20,000 values that `numpy.random.rand/randn(20000)` fill, and
  return them in order: the first buffer's head is what the first draws returned;
* cpp_standalone: the generated `_rand`/`_randn` record their first values and write them to the file named by the
  environment variable `STREAM_VAR` when the binary exits (one process-wide record: C++17 inline functions);
  with OpenMP each thread has its own generator, so such a device never shares a stream with a serial one and
  its code is left as Brian generates it.

Two runs share a stream when both drew random numbers in generated code and every recorded list is equal, value
for value. A model difference that does not change what is drawn first (a time constant, an amplitude) keeps the
stream; where draws depend on the dynamics (a `rand()` in a reset), later draws may still differ, and the exact
comparison with its noise floor (floor.py) then decides.
"""
from __future__ import annotations

import hashlib
import json
import math
import os
import re

from . import compat

FIRST = 64
STREAM_VAR = "BRIAN2_HARNESS_STREAM_FILE"
CYTHON_BUFFER = 20000
FUNCTIONS = ("rand", "randn")
OTHER = ("binomial", "poisson", "choice")   # numpy only: C++ builds these from rand/randn, so they never match
KEYS = FUNCTIONS + ("other",)

CPP_CODE = """
struct _B2hSeries {
    std::vector<double> values;
    long count = 0;
    void add(double r) {
        if (count < %(first)d || (count & (count - 1)) == 0) values.push_back(r);
        count++;
    }
};
struct _B2hDrawn {
    std::map<std::string, _B2hSeries> series;
    ~_B2hDrawn() {
        const char* path = std::getenv("%(var)s");
        if (!path) return;
        FILE* f = std::fopen(path, "w");
        if (!f) return;
        for (std::map<std::string, _B2hSeries>::iterator it = series.begin(); it != series.end(); ++it) {
            std::fprintf(f, "%%s %%ld", it->first.c_str(), it->second.count);
            for (size_t i = 0; i < it->second.values.size(); i++) std::fprintf(f, " %%.17g", it->second.values[i]);
            std::fprintf(f, "\\n");
        }
        std::fclose(f);
    }
};
inline _B2hDrawn& _b2h_drawn() { static _B2hDrawn d; return d; }   // external linkage: one per program
>>>
inline double _%%RAND_FUNC%%(const int _vectorisation_idx) {
    static _B2hSeries& _b2h_s = _b2h_drawn().series["%%OWNER%%/%%RAND_FUNC%%"];   // one per code object file
    const double _b2h_r = %%DRAW%%;   // compat.draw_call: the generators of the installed Brian2
    if (%%RECORD%%) _b2h_s.add(_b2h_r);
    return _b2h_r;
}
""" % {"var": STREAM_VAR, "first": FIRST}


class Recorder:
    """The values one process's generated code drew (first FIRST per function)."""

    def __init__(self, threads: int = 0) -> None:
        self.values: dict[str, list[float]] = {}     # "owner/function" -> sampled draws
        self.counts: dict[str, int] = {}
        self.file = ""            # standalone: where the binary writes its record
        self.threads = threads    # OpenMP threads (each has its own generator)

    def reset(self) -> None:
        """Nothing drawn yet (a later seed run in the same process, warm.py)."""
        self.values.clear()
        self.counts.clear()

    def add(self, function: str, values) -> None:
        import numpy as np
        values = np.ravel(np.asarray(values, dtype=float))
        start = self.counts.get(function, 0)
        self.counts[function] = start + len(values)
        self.values.setdefault(function, []).extend(
            float(values[k - start]) for k in sampled(start, start + len(values)))

    def result(self, device: str) -> dict:
        """{'draws': {"owner/function": [sampled values]}, 'counts': {...}, 'threads': n}."""
        draws, counts = dict(self.values), dict(self.counts)
        if self.file and os.path.exists(self.file):
            draws, counts = read_cpp_record(self.file)
        return dict(draws=draws, counts=counts, device=device, threads=self.threads)


def sampled(start: int, stop: int) -> list[int]:
    """Draw indices in [start, stop) that are recorded: the first FIRST, then every power of two."""
    out = list(range(start, min(stop, FIRST)))
    k = FIRST
    while k < stop:
        if k >= start:
            out.append(k)
        k *= 2
    return out


def read_cpp_record(path: str) -> tuple[dict, dict]:
    draws, counts = {}, {}
    with open(path) as f:
        for line in f:
            parts = line.split()
            if len(parts) >= 2:
                draws[parts[0]] = [float(x) for x in parts[2:]]
                counts[parts[0]] = int(parts[1])
    return draws, counts


def install(sandbox, brian2, threads: int) -> Recorder:
    """Hook the random functions of the chosen device (see the module docstring)."""
    recorder = Recorder(threads)
    kind = sandbox.spec.random_stream       # devices/: how the device's random numbers are recorded
    if kind == "numpy_random":
        _numpy_hooks(recorder)
    elif kind == "cython_random":
        _cython_hooks(recorder)
    elif kind == "cpp_generators" and not threads:
        # (OpenMP: a generator per thread, never one serial stream; generated code unchanged)
        recorder.file = os.path.join(os.path.dirname(sandbox.counter_path) or ".", "stream.txt")
        os.environ[STREAM_VAR] = recorder.file
        _cpp_hooks(threads)
    return recorder


def _numpy_hooks(recorder: Recorder) -> None:
    """numpy.random as called from generated code ('(string)', Brian's compile name) or from the numpy target's
    rand/randn implementations called from there; the templates import `numpy.random.rand` when they first run."""
    import sys

    import numpy as np

    def generated(frame) -> bool:
        name = frame.f_code.co_filename
        if name == "(string)":
            return True
        return name.endswith("numpy_generator.py") and frame.f_back is not None and \
            frame.f_back.f_code.co_filename == "(string)"

    for name in FUNCTIONS + OTHER:
        original = getattr(np.random, name)

        def recorded(*args, __original=original, __name=name, **kwargs):
            values = __original(*args, **kwargs)
            if generated(sys._getframe(1)):
                owner = getattr(sys._getframe(1).f_globals.get("_owner")
                                or sys._getframe(2).f_globals.get("_owner"), "name", "?")
                recorder.add(f"{owner}/{__name if __name in FUNCTIONS else 'other'}", values)
            return values
        setattr(np.random, name, recorded)


def _cython_hooks(recorder: Recorder) -> None:
    import numpy as np
    for name in FUNCTIONS:
        original = getattr(np.random, name)

        def recorded(*args, __original=original, __name=name):
            values = __original(*args)
            if args == (CYTHON_BUFFER,):       # the Cython buffer refill (the script's own draws differ in size)
                recorder.add(f"*/{__name}", values)     # one buffer for every code object
            return values
        setattr(np.random, name, recorded)


def _cpp_hooks(threads: int) -> None:
    from brian2.core.functions import DEFAULT_FUNCTIONS
    from brian2.devices.cpp_standalone.codeobject import CPPStandaloneCodeObject
    thread = "omp_get_thread_num()" if threads else "0"
    states = compat.installed_generator_states()
    for name in FUNCTIONS:
        impl = DEFAULT_FUNCTIONS[name].implementations[CPPStandaloneCodeObject]
        code = (CPP_CODE.replace("%RAND_FUNC%", name).replace("%DRAW%", compat.draw_call(name, thread, states))
                .replace("%THREAD_NUMBER%", thread)
                .replace("%RECORD%", "(" + thread + " == 0)"))
        impl._code = lambda owner, __code=code: {"support_code": code_once(
            __code.replace("%OWNER%", re.sub(r"[^A-Za-z0-9_]", "_", getattr(owner, "name", "?"))))}


def code_once(code: str) -> str:
    """Brian puts support code in an anonymous namespace (one copy per file): the record leaves it, so that every
    code object adds to one record, and is guarded, so that a file with both rand and randn compiles."""
    head, _, tail = code.partition(">>>")
    return ("}  // namespace\n#ifndef B2H_DRAWN\n#define B2H_DRAWN\n#include <vector>\n#include <cstdio>\n"
            "#include <cstdlib>\n#include <map>\n#include <string>\n" + head + "#endif\nnamespace {\n" + tail)


# --- judging -------------------------------------------------------------------------------------------------
def fingerprint(stream: dict | None) -> str:
    """A short hash of what was drawn ('' when nothing was drawn or nothing was recorded)."""
    draws = (stream or {}).get("draws") or {}
    if not any(draws.values()):
        return ""
    return hashlib.sha256(json.dumps(sorted(draws.items())).encode()).hexdigest()[:12]


def rounding_hint(key: str, p: float, q: float) -> str:
    """Why two Gaussian draws differ only in their last bits: the same uniform numbers through the transform with
    other rounding (Brian >= 2.8.0's C++ generator under -march=native fuses a multiply-add on a CPU with FMA), not
    another seed or another order of draws."""
    if not key.endswith("randn") or not (math.isfinite(p) and math.isfinite(q)) or p == q or p == 0:
        return ""
    if abs(p - q) > 1e-9 * abs(p):
        return ""
    ulps = abs(p - q) / math.ulp(p)
    return (f", the same draw up to rounding ({ulps:.0f} ulp): the Gaussian transform rounded otherwise, as Brian "
            "2.8.0 and later's C++ generator is on a CPU with FMA (docs/known-bugs.md)")


def same_stream(ref: dict | None, dev: dict | None, ref_name: str, dev_name: str) -> tuple[bool, str]:
    """(both runs gave every code object the same random numbers, why) from two recorded streams."""
    if not ref or not dev:
        return False, "no record of the random numbers drawn on one of the devices"
    if ref.get("threads", 0) != dev.get("threads", 0):
        return False, ("different random streams: with OpenMP every thread draws from its own generator "
                       f"({dev.get('threads', 0)} vs {ref.get('threads', 0)} threads)")
    a, b = fingerprint(ref), fingerprint(dev)
    if not a or not b:
        return False, (f"no random number drawn in generated code on {ref_name if not a else dev_name} "
                       "(rand/randn), so no evidence of a shared stream")
    x, y = ref["draws"], dev["draws"]
    if a == b:
        n = sum(len(v) for v in x.values())
        return True, (f"same random stream: every code object drew the same random numbers ({n} sampled draws "
                      f"of {len(x)} code object(s): the first {FIRST}, then draw 2^k; fingerprint {a})")
    if "*/rand" in y or "*/randn" in y or "*/rand" in x or "*/randn" in x:
        return False, ("different random streams: cython hands random numbers to every code object from one "
                       f"buffer, so which object drew which value is not known (fingerprints {b} vs {a})")
    for key in sorted(set(x) | set(y)):
        u, v = x.get(key, []), y.get(key, [])
        for k, (p, q) in enumerate(zip(u, v)):
            if p != q:
                n = k if k < FIRST else 2 ** (k - FIRST + 6)
                return False, (f"different random streams: {key}() draw #{n} is {q!r} on {dev_name} vs {p!r} on "
                               f"{ref_name}{rounding_hint(key, p, q)} (fingerprints {b} vs {a})")
        if len(u) != len(v):
            cu, cv = (ref.get("counts") or {}).get(key, len(u)), (dev.get("counts") or {}).get(key, len(v))
            return False, f"different random streams: {key}() drew {cv} vs {cu} values (fingerprints {b} vs {a})"
    return False, f"different random streams (fingerprints {b} vs {a})"
