"""`brian2-harness doctor [--json]`: what this machine has, which devices need it, and how to fill each gap.

Every check says found / missing (or found but unusable), its version or location, the devices that need
it, and the exact command that fixes the gap. Device availability comes from the harness's own probes
(`harness.devices`), so doctor and `run` never disagree. cuda_standalone (brian2cuda) is assessed from its
requirements: `build` when everything but a GPU is present (code can be generated and compiled), `run`
when a GPU is visible too. Always exits 0; the JSON form is for CI logs and bug reports.
"""
from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys

from brian2_harness import devices as devmod
from brian2_harness.devices import base as devbase
from brian2_harness.devices import cuda_toolchain
from brian2_harness.run import slots
from brian2_harness.versions import CYTHON, NUMPY, installed_version

# What the package accepts (pyproject.toml: requires-python, dependencies; a test keeps these in step) ...
PYTHON_MIN = (3, 11)
BRIAN2_MIN = "2.5.4"               # the oldest release the history envs run (tox -m history)
# ... and what was verified: stated as such, never held against another accepted environment.
VERIFIED_PYTHON = "3.12"
BRIAN2_VERSION = "2.10.1"          # the verified Brian2 (tox, the `cuda` extra)
BRIAN2CUDA_VERSION = "1.0b1"       # requires brian2 == 2.10.1, hence Python >= 3.12
# brian2 series -> the numpy it does not import with: 2.5.x uses np.VisibleDeprecationWarning (gone in numpy 2),
# 2.9.x np.ndarray.ptp (gone in numpy 2.3)
BRIAN2_NUMPY_MAX = {"2.5": "2", "2.9": "2.3"}
# brian2 below 2.8 imports Cython.Utils.get_cython_cache_dir, which Cython 3.1 moved (cython/cython#6090): the
# ImportError is swallowed and every cython run fails with "Cython is not available"
BRIAN2_CYTHON = ("2.8", "3.1")
VERIFIED_WITH = (f"brian2 {BRIAN2_VERSION} on Python {VERIFIED_PYTHON} (cuda_standalone: brian2cuda "
                 f"{BRIAN2CUDA_VERSION}, which requires exactly that brian2)")
CHECK_KEYS = ("name", "found", "ok", "version", "detail", "needed_by", "fix")


def _sudo() -> str:
    return "" if not hasattr(os, "geteuid") or os.geteuid() == 0 else "sudo "


def _apt(*packages: str) -> str:
    return f"{_sudo()}apt-get install -y {' '.join(packages)}"


def _pip(*requirements: str) -> str:
    return f"{shlex.quote(sys.executable)} -m pip install " + " ".join(shlex.quote(r) for r in requirements)


def _run(cmd: list[str], timeout: float = 10) -> tuple[int, str]:
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    except (OSError, subprocess.SubprocessError) as exc:
        return -1, str(exc)
    return p.returncode, (p.stdout + p.stderr).strip()


def devices_needing(check: str) -> list[str]:
    """The devices that need what check `check` looks for (each device says what it needs: devices/)."""
    return [d.name for d in devmod.all_devices() if check in (*d.needs, *d.run_needs)]


def _check(name, found, version=None, detail="", needed_by=None, fix=None, ok=None) -> dict:
    """One check's row; `needed_by`: the devices that need it (default: those that name `name` among their needs)."""
    ok = found if ok is None else ok
    needed_by = devices_needing(name) if needed_by is None else needed_by
    return {"name": name, "found": bool(found), "ok": bool(ok), "version": version, "detail": detail,
            "needed_by": list(needed_by), "fix": None if ok else fix}


# --- individual checks -----------------------------------------------------------------------------------

def _python_version() -> tuple[int, int, int]:
    return tuple(sys.version_info[:3])


def _verified(version: str | None, verified: str) -> str:
    return "the verified version" if version == verified else f"verified with {verified}"


def check_python() -> dict:
    v = _python_version()
    version = ".".join(map(str, v))
    ok = v[:2] >= PYTHON_MIN
    need = ".".join(map(str, PYTHON_MIN))
    verified = _verified('.'.join(map(str, v[:2])), VERIFIED_PYTHON)
    detail = f"{sys.executable}; the harness needs Python >= {need}; {verified}"
    if ok and v[:2] < (3, 12):
        detail += f" (brian2 >= 2.10 and brian2cuda {BRIAN2CUDA_VERSION} need Python >= 3.12; here brian2 2.9.x)"
    return _check("python", True, version, detail,
                  None, f"{_apt('python3.12', 'python3.12-venv')} && python3.12 -m venv .venv && "
                       f".venv/bin/pip install -e '.[test]'", ok=ok)


def check_brian2() -> dict:
    """Any brian2 the package accepts is fine; the verified version is named, not required."""
    version = installed_version("brian2")
    py312 = _python_version()[:2] >= (3, 12)
    fix = _pip(f"brian2=={BRIAN2_VERSION}") if py312 else _pip("brian2==2.9.0", "numpy<2.3")
    if version is None:
        return _check("brian2", False, None, f"not installed in this environment; {VERIFIED_WITH.split(' (')[0]} "
                      "verified", None, fix)
    if _vtuple(version) < _vtuple(BRIAN2_MIN):
        return _check("brian2", True, version, f"version {version} is older than {BRIAN2_MIN} (the harness needs "
                      f"brian2 >= {BRIAN2_MIN})", None, fix, ok=False)
    return _check("brian2", True, version, f"installed; {_verified(version, BRIAN2_VERSION)}"
                  + ("" if version == BRIAN2_VERSION else f" on Python {VERIFIED_PYTHON}"), None, fix)


def check_numpy() -> dict:
    """numpy >= 1.26, and below the version the installed brian2 cannot import with (2.9.x: < 2.3)."""
    c = check_package(NUMPY, NUMPY, None, "numpy>=1.26", minimum="1.26")
    b2 = installed_version("brian2")
    if c["ok"] and b2:
        for series, bad in BRIAN2_NUMPY_MAX.items():
            if _vtuple(b2)[:2] == _vtuple(series)[:2] and _vtuple(c["version"]) >= _vtuple(bad):
                c.update(ok=False, detail=f"version {c['version']} installed; brian2 {b2} does not import with "
                         f"numpy >= {bad}", fix=_pip(f"numpy<{bad}"))
    return c


def check_cython() -> dict:
    """Cython >= 0.29 (what brian2 accepts), and below 3.1 next to a brian2 older than 2.8 (see BRIAN2_CYTHON)."""
    c = check_package(CYTHON, CYTHON, None, "cython>=0.29", minimum="0.29")
    b2 = installed_version("brian2")
    below, bad = BRIAN2_CYTHON
    if c["ok"] and b2 and _vtuple(b2) < _vtuple(below) and _vtuple(c["version"]) >= _vtuple(bad):
        c.update(ok=False, detail=f"version {c['version']} installed; brian2 {b2} cannot use Cython >= {bad} (it "
                 f"imports Cython.Utils.get_cython_cache_dir and then reports 'Cython is not available')",
                 fix=_pip(f"cython<{bad}"))
    return c


def check_brian2cuda() -> dict:
    version = installed_version("brian2cuda")
    if _python_version()[:2] < (3, 12):
        fix = (f"brian2cuda {BRIAN2CUDA_VERSION} requires brian2 {BRIAN2_VERSION}, i.e. Python >= 3.12: "
               "use a Python 3.12 environment for cuda_standalone (pip install 'brian2-harness[cuda]')")
    else:
        fix = _pip(f"brian2cuda=={BRIAN2CUDA_VERSION}")
    if version is None:
        return _check("brian2cuda", False, None, f"not installed in this environment (verified: brian2cuda "
                      f"{BRIAN2CUDA_VERSION} with brian2 {BRIAN2_VERSION})", None, fix)
    return _check("brian2cuda", True, version, f"installed; {_verified(version, BRIAN2CUDA_VERSION)}"
                  + ("" if version == BRIAN2CUDA_VERSION else f" (with brian2 {BRIAN2_VERSION}; the CUDA "
                                                               "workarounds may not fit this version)"), None, fix)


def check_package(name: str, dist: str, needed_by, requirement: str, exact: str | None = None,
                  minimum: str | None = None) -> dict:
    version = installed_version(dist)
    found = version is not None
    ok = found
    detail = "installed" if found else "not installed in this environment"
    if found and exact and version != exact:
        ok, detail = False, f"version {version} installed, the harness is pinned to {exact}"
    if found and minimum and _vtuple(version) < _vtuple(minimum):
        ok, detail = False, f"version {version} is older than {minimum}"
    return _check(name, found, version, detail, needed_by, _pip(requirement), ok=ok)


def _vtuple(v: str) -> tuple:
    return tuple(int(x) for x in re.findall(r"\d+", v)[:3])


def check_compiler(kind: str) -> dict:
    name = "g++" if kind == "c++" else "gcc"
    path = devbase._compiler(kind)
    version = None
    if path:
        rc, out = _run([path, "--version"])
        version = out.splitlines()[0] if rc == 0 and out else None
    return _check(name, path is not None, version, path or f"no {kind} compiler on PATH (or $CXX/$CC)",
                  None, _apt(name) if kind == "c++" else _apt("gcc"))


def check_make() -> dict:
    path = shutil.which("make")
    version = None
    if path:
        rc, out = _run([path, "--version"])
        version = out.splitlines()[0] if rc == 0 and out else None
    return _check("make", path is not None, version, path or "make not on PATH",
                  None, _apt("make"))


def check_openmp() -> dict:
    cxx = devbase._compiler("c++")
    if cxx is None:
        return _check("openmp", False, None, "no C++ compiler to test OpenMP with", None,
                      _apt("g++", "libgomp1"))
    why = devbase._openmp_works()
    fix = _apt("libomp-dev") if "clang" in os.path.basename(cxx) else _apt("libgomp1")
    return _check("openmp", why is None, None, f"{cxx} -fopenmp builds a test program" if why is None else why,
                  None, fix)


# Brian2's default C++ flags (prefs.codegen.cpp.extra_compile_args_gcc, unchanged from 2.5.4 to 2.11.0), with which
# cpp_standalone compiles its generator; and three pairs whose x1*x1 + x2*x2 rounds otherwise when fused
BRIAN_CXX_FLAGS = ["-w", "-O3", "-ffast-math", "-fno-finite-math-only", "-march=native", "-std=c++11"]
FMA_PAIRS = [(-0.7312715117751976, 0.6948674738744653), (-0.009129825816118098, -0.10101787042252375),
             (0.3031859454455259, 0.5774467022710263)]
FMA_SOURCE = ("#include <cstdio>\n#include <cstdlib>\nint main(int argc, char** argv) {\n"
              "  for (int k = 1; k + 1 < argc; k += 2) { double x1 = atof(argv[k]), x2 = atof(argv[k + 1]);\n"
              "    double r2 = x1*x1 + x2*x2; printf(\"%a\\n\", r2); }\n  return 0;\n}\n")


def fuses_multiply_add(cxx: str, flags: list[str]) -> bool | str:
    """Whether code compiled with `flags` computes x1*x1 + x2*x2 with one rounding (a fused multiply-add), as the
    polar Box-Muller step of Brian >= 2.8.0's C++ generator does; a string: why it could not be told."""
    import tempfile
    with tempfile.TemporaryDirectory() as d:
        with open(os.path.join(d, "t.cpp"), "w") as f:
            f.write(FMA_SOURCE)
        rc, out = _run([cxx, *flags, os.path.join(d, "t.cpp"), "-o", os.path.join(d, "t")], timeout=60)
        if rc != 0:
            return f"{cxx} {' '.join(flags)} failed: {out[:200]}"
        rc, out = _run([os.path.join(d, "t"), *(repr(x) for pair in FMA_PAIRS for x in pair)])
    if rc != 0:
        return f"the test program failed ({rc}): {out[:200]}"
    got = [float.fromhex(x) for x in out.split()]
    return got != [x1 * x1 + x2 * x2 for x1, x2 in FMA_PAIRS]


def check_fused_multiply_add() -> dict:
    """Information, never a gap: whether cpp_standalone's Gaussian numbers can be numpy's on this machine."""
    cxx = devbase._compiler("c++")
    if cxx is None:
        return _check("fused multiply-add", False, None, "no C++ compiler to test with", [], None, ok=True)
    fused = fuses_multiply_add(cxx, BRIAN_CXX_FLAGS)
    if isinstance(fused, str):
        detail = f"not known: {fused}"
    elif fused:
        detail = ("Brian's C++ flags fuse multiply-adds here (-march=native -ffast-math): cpp_standalone under brian2 "
                  ">= 2.8.0 draws other Gaussian numbers than numpy for the same seed, so check judges such pairs "
                  "statistically (docs/known-bugs.md)")
    else:
        detail = "Brian's C++ flags round x*x + y*y twice here, as numpy does: randn() streams can match numpy's"
    return _check("fused multiply-add", True, None if isinstance(fused, str) else ("yes" if fused else "no"),
                  detail, [], None, ok=True)


def _nvcc_path() -> tuple[str | None, str]:
    """(path, where it was found: PATH | CUDA_PATH | CUDA_HOME | default): the device's own lookup."""
    return cuda_toolchain.find_nvcc()


def check_nvcc() -> dict:
    path, source = _nvcc_path()
    fix_install = (f"{_apt('cuda-toolkit-13-0')}  # from NVIDIA's CUDA apt repository "
                   f"(Debian's own package: {_apt('nvidia-cuda-toolkit')})")
    if path is None:
        return _check("nvcc", False, None, "CUDA compiler not found (PATH, CUDA_PATH, CUDA_HOME, /usr/local/cuda, "
                      "/opt/cuda)", None, fix_install)
    rc, out = _run([path, "--version"])
    m = re.search(r"release ([\d.]+), V([\d.]+)", out)
    if rc != 0 or not m:
        return _check("nvcc", True, None, f"{path} --version failed: {out.strip()[:200]}", None, fix_install,
                      ok=False)
    home = cuda_toolchain.cuda_home_of(path)
    detail = f"{path} (found via {source}); CUDA {m.group(1)} installation {home}"
    return _check("nvcc", True, m.group(2), detail)


def check_curand() -> dict:
    fix = _pip("nvidia-curand")
    nvcc, _ = _nvcc_path()
    home = cuda_toolchain.cuda_home_of(nvcc) if nvcc else None
    m = re.search(r"release (\d+)\.(\d+)", _run([nvcc, "--version"])[1]) if nvcc else None
    c = cuda_toolchain.find_curand(home, (int(m.group(1)), int(m.group(2))) if m else None)
    if c is None:
        return _check("curand", False, None, f"curand.h/libcurand neither in the CUDA installation ({home}) "
                      "nor in an nvidia-curand wheel (nvidia/cu13/include/curand.h)", None, fix)
    version = installed_version("nvidia-curand") if c.source == "wheel" else None
    detail = (f"{'nvidia-curand wheel' if c.source == 'wheel' else 'system CUDA'}: "
              f"{os.path.join(c.include_dir, 'curand.h')}, library {c.library}")
    if not c.has_dev_link:
        detail += " (no libcurand.so: the harness links one in its cache)"
    return _check("curand", True, version, detail)


def check_gpu() -> dict:
    fix = ("no software fix on this machine: run cuda_standalone on one with an NVIDIA GPU "
           f"(there, without a driver: {_apt('nvidia-driver')})")
    smi = shutil.which("nvidia-smi")
    if smi is None:
        return _check("gpu", False, None, "nvidia-smi not found: no NVIDIA driver / GPU visible", None, fix)
    rc, out = _run([smi, "-L"])
    gpus = [line.strip() for line in out.splitlines() if line.strip().startswith("GPU ")]
    if rc != 0 or not gpus:
        return _check("gpu", False, None, f"nvidia-smi -L: {out.strip()[:200] or 'no GPU listed'}", None, fix)
    rc, drv = _run([smi, "--query-gpu=driver_version,compute_cap", "--format=csv,noheader"])
    version = f"driver {drv.splitlines()[0]}" if rc == 0 and drv else None
    return _check("gpu", True, version, "; ".join(gpus))


def checks() -> list[dict]:
    return [
        check_python(),
        check_brian2(),
        check_numpy(),
        check_cython(),
        check_compiler("c"),
        check_compiler("c++"),
        check_make(),
        check_openmp(),
        check_fused_multiply_add(),
        check_brian2cuda(),
        check_nvcc(),
        check_curand(),
        check_gpu(),
        check_package("matplotlib", "matplotlib", ["report"], "matplotlib>=3.8", minimum="3.8"),
    ]


def device_status(results: list[dict]) -> list[dict]:
    """Every device by its own probe (the catalog holds them all, cuda_standalone too: its probe assesses the
    requirements `results` lists, build without a GPU). `results` is kept for callers that pass the checks."""
    out = []
    for d in devmod.all_devices():
        p = d.probe()
        out.append({"name": d.name, "mode": p.mode, "reason": p.reason, "source": "probe"})
    return out


def diagnose() -> dict:
    results = checks()
    return {
        "python": sys.executable,
        "requires": {"python": ">=" + ".".join(map(str, PYTHON_MIN)), "brian2": ">=" + BRIAN2_MIN},
        "verified_with": {"python": VERIFIED_PYTHON, "brian2": BRIAN2_VERSION, "brian2cuda": BRIAN2CUDA_VERSION},
        "scheduling": slots.scheduling(),
        "checks": results,
        "devices": device_status(results),
        "missing": [c["name"] for c in results if not c["ok"]],
        "fixes": [{"name": c["name"], "fix": c["fix"]} for c in results if not c["ok"] and c["fix"]],
    }


def cmd_doctor(args) -> int:
    """The `doctor` command (its options: cli/tools.py)."""
    import json
    report = diagnose()
    if args.json:
        print(json.dumps(report, indent=1))
        return 0
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    console = Console(width=None if sys.stdout.isatty() else 200)
    t = Table(title="brian2-harness doctor")
    for col in ("check", "status", "version", "needed by", "details"):
        t.add_column(col, overflow="fold")
    for c in report["checks"]:
        status = "[green]ok[/]" if c["ok"] else "[red]missing[/]" if not c["found"] else "[yellow]problem[/]"
        t.add_row(escape(c["name"]), status, escape(c["version"] or "-"), escape(", ".join(c["needed_by"])),
                  escape(c["detail"]))
    console.print(t)
    t = Table(title="devices")
    for col in ("device", "mode", "reason"):
        t.add_column(col, overflow="fold")
    style = {devmod.RUN: "green", devmod.BUILD: "cyan", devmod.UNAVAILABLE: "red"}
    for d in report["devices"]:
        t.add_row(escape(d["name"]), f"[{style.get(d['mode'], 'white')}]{escape(d['mode'])}[/]", escape(d["reason"]))
    console.print(t)
    console.print(escape(f"verified with: {VERIFIED_WITH}; accepted: Python {report['requires']['python']}, "
                         f"brian2 {report['requires']['brian2']}"), soft_wrap=True)
    console.print(escape(slots.scheduling_line(report["scheduling"])), soft_wrap=True)
    if report["fixes"]:
        console.print("[bold]to fix:[/]")
        for f in report["fixes"]:
            console.print(f"  [bold]{escape(f['name'])}[/]: {escape(f['fix'])}", soft_wrap=True)
    else:
        console.print("[bold green]nothing to fix[/]")
    return 0
