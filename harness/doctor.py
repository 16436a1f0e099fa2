"""`brian2-harness doctor [--json]`: what this machine has, which devices need it, and how to fill each gap.

Every check says found / missing (or found but unusable), its version or location, the devices that need
it, and the exact command that fixes the gap. Device availability comes from the harness's own probes
(`harness.devices`), so doctor and `run` never disagree. cuda_standalone (brian2cuda) is assessed from its
requirements: `build` when everything but a GPU is present (code can be generated and compiled), `run`
when a GPU is visible too. Always exits 0; the JSON form is for CI logs and bug reports.
"""
from __future__ import annotations

import glob
import importlib.metadata
import importlib.util
import os
import re
import shlex
import shutil
import subprocess
import sys

from . import devices as devmod

PYTHON_MIN = (3, 12)
BRIAN2_VERSION = "2.10.1"
BRIAN2CUDA_VERSION = "1.0b1"
CPU = ["numpy", "cython", "cpp_standalone", "cpp_standalone_omp"]
CUDA = "cuda_standalone"
ALL = CPU + [CUDA]
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


def _dist(name: str) -> str | None:
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return None


def _check(name, found, version=None, detail="", needed_by=(), fix=None, ok=None) -> dict:
    ok = found if ok is None else ok
    return {"name": name, "found": bool(found), "ok": bool(ok), "version": version, "detail": detail,
            "needed_by": list(needed_by), "fix": None if ok else fix}


# --- individual checks -----------------------------------------------------------------------------------

def check_python() -> dict:
    v = sys.version_info
    version = f"{v.major}.{v.minor}.{v.micro}"
    ok = (v.major, v.minor) >= PYTHON_MIN
    need = ".".join(map(str, PYTHON_MIN))
    return _check("python", True, version, f"{sys.executable}; brian2 {BRIAN2_VERSION} needs Python >= {need}",
                  ALL, f"{_apt('python3.12', 'python3.12-venv')} && python3.12 -m venv .venv && "
                       f".venv/bin/pip install -e '.[test]'", ok=ok)


def check_package(name: str, dist: str, needed_by, requirement: str, exact: str | None = None,
                  minimum: str | None = None) -> dict:
    version = _dist(dist)
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
    path = devmod._compiler(kind)
    version = None
    if path:
        rc, out = _run([path, "--version"])
        version = out.splitlines()[0] if rc == 0 and out else None
    needed = ["cython", "cpp_standalone", "cpp_standalone_omp", CUDA] if kind == "c++" else ["cython"]
    return _check(name, path is not None, version, path or f"no {kind} compiler on PATH (or $CXX/$CC)",
                  needed, _apt(name) if kind == "c++" else _apt("gcc"))


def check_make() -> dict:
    path = shutil.which("make")
    version = None
    if path:
        rc, out = _run([path, "--version"])
        version = out.splitlines()[0] if rc == 0 and out else None
    return _check("make", path is not None, version, path or "make not on PATH",
                  ["cpp_standalone", "cpp_standalone_omp", CUDA], _apt("make"))


def check_openmp() -> dict:
    cxx = devmod._compiler("c++")
    if cxx is None:
        return _check("openmp", False, None, "no C++ compiler to test OpenMP with", ["cpp_standalone_omp"],
                      _apt("g++", "libgomp1"))
    why = devmod._openmp_works()
    fix = _apt("libomp-dev") if "clang" in os.path.basename(cxx) else _apt("libgomp1")
    return _check("openmp", why is None, None, f"{cxx} -fopenmp builds a test program" if why is None else why,
                  ["cpp_standalone_omp"], fix)


def _cuda():
    """harness.cuda (what the cuda_standalone device itself uses to find its toolchain), if present."""
    try:
        from . import cuda
        cuda.find_nvcc, cuda.cuda_home_of, cuda.find_curand, cuda.detect_gpus  # noqa: B018 (API check)
        return cuda
    except (ImportError, AttributeError):
        return None


def _nvcc_path() -> tuple[str | None, str]:
    """(path, where it was found: PATH | CUDA_PATH | CUDA_HOME | default)."""
    cuda = _cuda()
    if cuda is not None:
        return cuda.find_nvcc()
    path = shutil.which("nvcc")
    if path:
        return path, "PATH"
    for var, root in (("CUDA_PATH", os.environ.get("CUDA_PATH", "")), ("CUDA_HOME", os.environ.get("CUDA_HOME", "")),
                      ("default", "/usr/local/cuda"), ("default", "/opt/cuda")):
        cand = os.path.join(root, "bin", "nvcc") if root else ""
        if cand and os.access(cand, os.X_OK):
            return cand, var
    return None, ""


def _cuda_home(nvcc: str) -> str:
    cuda = _cuda()
    if cuda is not None:
        return cuda.cuda_home_of(nvcc)
    return os.path.dirname(os.path.dirname(os.path.realpath(nvcc)))


def check_nvcc() -> dict:
    path, source = _nvcc_path()
    fix_install = (f"{_apt('cuda-toolkit-13-0')}  # from NVIDIA's CUDA apt repository "
                   f"(Debian's own package: {_apt('nvidia-cuda-toolkit')})")
    if path is None:
        return _check("nvcc", False, None, "CUDA compiler not found (PATH, CUDA_PATH, CUDA_HOME, /usr/local/cuda, "
                      "/opt/cuda)", [CUDA], fix_install)
    rc, out = _run([path, "--version"])
    m = re.search(r"release ([\d.]+), V([\d.]+)", out)
    if rc != 0 or not m:
        return _check("nvcc", True, None, f"{path} --version failed: {out.strip()[:200]}", [CUDA], fix_install,
                      ok=False)
    home = _cuda_home(path)
    detail = f"{path} (found via {source}); CUDA {m.group(1)} installation {home}"
    if source != "PATH" and _cuda() is None:
        return _check("nvcc", True, m.group(2), detail + "; not on PATH", [CUDA],
                      f"export PATH={home}/bin:$PATH CUDA_PATH={home}", ok=False)
    return _check("nvcc", True, m.group(2), detail, [CUDA])


def _wheel_roots() -> list[str]:
    """Folders of the `nvidia` namespace package (pip wheels such as nvidia-curand)."""
    try:
        spec = importlib.util.find_spec("nvidia")
    except (ImportError, ValueError):
        return []
    return list(spec.submodule_search_locations or []) if spec else []


def check_curand() -> dict:
    fix = _pip("nvidia-curand")
    nvcc, _ = _nvcc_path()
    home = _cuda_home(nvcc) if nvcc else None
    cuda = _cuda()
    if cuda is not None:
        m = re.search(r"release (\d+)\.(\d+)", _run([nvcc, "--version"])[1]) if nvcc else None
        c = cuda.find_curand(home, (int(m.group(1)), int(m.group(2))) if m else None)
        if c is None:
            return _check("curand", False, None, f"curand.h/libcurand neither in the CUDA installation ({home}) "
                          "nor in an nvidia-curand wheel (nvidia/cu13/include/curand.h)", [CUDA], fix)
        version = _dist("nvidia-curand") if c.source == "wheel" else None
        detail = (f"{'nvidia-curand wheel' if c.source == 'wheel' else 'system CUDA'}: "
                  f"{os.path.join(c.include_dir, 'curand.h')}, library {c.library}")
        if not c.has_dev_link:
            detail += " (no libcurand.so: the harness links one in its cache)"
        return _check("curand", True, version, detail, [CUDA])
    found = []
    roots = [r for r in (home, "/usr/local/cuda") if r]
    for root in dict.fromkeys(roots):
        for inc in ["include"] + [os.path.relpath(d, root) for d in glob.glob(os.path.join(root, "targets", "*",
                                                                                            "include"))]:
            if os.path.isfile(os.path.join(root, inc, "curand.h")):
                found.append(("system CUDA", os.path.join(root, inc, "curand.h")))
    for base in _wheel_roots():
        for header in sorted(glob.glob(os.path.join(base, "*", "include", "curand.h"))):
            found.append(("nvidia-curand wheel", header))
    version = _dist("nvidia-curand") if any(k == "nvidia-curand wheel" for k, _ in found) else None
    detail = "; ".join(f"{k}: {p}" for k, p in found) if found else \
        "curand.h neither in the CUDA toolkit nor in an nvidia-curand wheel (nvidia/cu13/include/curand.h)"
    return _check("curand", bool(found), version, detail, [CUDA], fix)


def check_gpu() -> dict:
    fix = ("no software fix on this machine: run cuda_standalone on one with an NVIDIA GPU "
           f"(there, without a driver: {_apt('nvidia-driver')})")
    smi = shutil.which("nvidia-smi")
    if smi is None:
        return _check("gpu", False, None, "nvidia-smi not found: no NVIDIA driver / GPU visible", [CUDA], fix)
    rc, out = _run([smi, "-L"])
    gpus = [line.strip() for line in out.splitlines() if line.strip().startswith("GPU ")]
    if rc != 0 or not gpus:
        return _check("gpu", False, None, f"nvidia-smi -L: {out.strip()[:200] or 'no GPU listed'}", [CUDA], fix)
    rc, drv = _run([smi, "--query-gpu=driver_version,compute_cap", "--format=csv,noheader"])
    version = f"driver {drv.splitlines()[0]}" if rc == 0 and drv else None
    return _check("gpu", True, version, "; ".join(gpus), [CUDA])


def checks() -> list[dict]:
    return [
        check_python(),
        check_package("brian2", "brian2", ALL, f"brian2=={BRIAN2_VERSION}", exact=BRIAN2_VERSION),
        check_package("numpy", "numpy", ALL, "numpy>=1.26", minimum="1.26"),
        check_package("cython", "cython", ["cython"], "cython>=3.0", minimum="3.0"),
        check_compiler("c"),
        check_compiler("c++"),
        check_make(),
        check_openmp(),
        check_package("brian2cuda", "brian2cuda", [CUDA], f"brian2cuda=={BRIAN2CUDA_VERSION}",
                      exact=BRIAN2CUDA_VERSION),
        check_nvcc(),
        check_curand(),
        check_gpu(),
        check_package("matplotlib", "matplotlib", ["report"], "matplotlib>=3.8", minimum="3.8"),
    ]


def device_status(results: list[dict]) -> list[dict]:
    """Registered devices by their own probes; cuda_standalone from its requirements if not registered."""
    out = []
    for d in devmod.all_devices():
        p = d.probe()
        out.append({"name": d.name, "mode": p.mode, "reason": p.reason, "source": "probe"})
    if CUDA not in {d["name"] for d in out}:
        by = {c["name"]: c for c in results}
        build_needs = ["python", "brian2", "numpy", "brian2cuda", "nvcc", "curand", "g++", "make"]
        gaps = [n for n in build_needs if not by[n]["ok"]]
        if gaps:
            mode, reason = devmod.UNAVAILABLE, "missing: " + ", ".join(gaps)
        elif not by["gpu"]["ok"]:
            mode, reason = devmod.BUILD, "can generate and compile CUDA code, but no GPU to run it"
        else:
            mode, reason = devmod.RUN, "brian2cuda, nvcc, curand and a GPU found"
        out.append({"name": CUDA, "mode": mode, "reason": reason, "source": "requirements"})
    return out


def diagnose() -> dict:
    results = checks()
    return {
        "python": sys.executable,
        "checks": results,
        "devices": device_status(results),
        "missing": [c["name"] for c in results if not c["ok"]],
        "fixes": [{"name": c["name"], "fix": c["fix"]} for c in results if not c["ok"] and c["fix"]],
    }


# --- command line --------------------------------------------------------------------------------------

def add_parser(subparsers):
    p = subparsers.add_parser("doctor", help="check Python, Brian2, compilers, OpenMP, CUDA and GPU; show fixes")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    return p


def run(args) -> int:
    import json
    report = diagnose()
    if args.json:
        print(json.dumps(report, indent=1))
        return 0
    from rich.console import Console
    from rich.table import Table
    from rich.markup import escape

    console = Console(width=None if sys.stdout.isatty() else 200)
    t = Table(title="brian2-harness doctor")
    for col in ("check", "status", "version", "needed by", "details"):
        t.add_column(col, overflow="fold")
    for c in report["checks"]:
        status = "[green]ok[/]" if c["ok"] else "[red]missing[/]" if not c["found"] else "[yellow]problem[/]"
        t.add_row(c["name"], status, escape(c["version"] or "-"), ", ".join(c["needed_by"]), escape(c["detail"]))
    console.print(t)
    t = Table(title="devices")
    for col in ("device", "mode", "reason"):
        t.add_column(col, overflow="fold")
    style = {devmod.RUN: "green", devmod.BUILD: "cyan", devmod.UNAVAILABLE: "red"}
    for d in report["devices"]:
        t.add_row(d["name"], f"[{style.get(d['mode'], 'white')}]{d['mode']}[/]", escape(d["reason"]))
    console.print(t)
    if report["fixes"]:
        console.print("[bold]to fix:[/]")
        for f in report["fixes"]:
            console.print(f"  [bold]{f['name']}[/]: {escape(f['fix'])}", soft_wrap=True)
    else:
        console.print("[bold green]nothing to fix[/]")
    return 0
