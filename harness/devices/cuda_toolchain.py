"""The CUDA toolchain of the `cuda_standalone` device: detection and the workarounds brian2cuda 1.0b1 needs.

Importing this module is cheap: it uses the standard library only. Brian2 and brian2cuda are imported in
`CudaStandaloneDevice.activate`, which runs inside the isolated worker process.

Detection (`detect`, no Brian import) finds nvcc, the CUDA version, GPUs and curand. `plan_workarounds`
(pure) decides which known incompatibilities of brian2cuda 1.0b1 with this machine need a workaround;
`apply_toolchain` applies exactly those to Brian's preferences and returns their descriptions, which go
into the run's environment report. Nothing is patched that is not needed here:

* no GPU (nvidia-smi missing or listing none): `detect_gpus=False`, `gpu_id=0` and a compute capability
  (default 9.0, H100/H200; `BRIAN2_HARNESS_CUDA_CC` overrides) so that the project builds without one.
* CUDA >= 13: its Thrust/CUB/libcu++ (CCCL 3) require C++17, but brian2cuda 1.0b1's makefile passes
  `-std=c++11` to nvcc and Brian passes `-std=c++11` to the host compiler (`-Xcompiler`). `-std=c++17` is
  added to the nvcc flags (the last `-std` wins) and replaces `-std=c++11` in the gcc flags.
* no curand in the CUDA installation: the `nvidia-curand` wheel's headers and library are used. The wheel
  ships `libcurand.so.10` only, and `-lcurand` needs `libcurand.so`: a link is made in a harness-owned cache
  folder (never in site-packages); rpath points at the wheel's folder so that the binary finds the library.
* nvcc found only through CUDA_HOME (brian2cuda reads CUDA_PATH, PATH and /usr/local/cuda only): the
  `cuda_path` preference is set.
"""
from __future__ import annotations

import glob
import hashlib
import importlib.util
import os
import re
import shutil
import subprocess
from dataclasses import dataclass, field

from brian2_harness.devices.base import BUILD, RUN, UNAVAILABLE, Probe, _compiler
from brian2_harness.versions import installed_version

NAME = "cuda_standalone"
DEFAULT_COMPUTE_CAPABILITY = 9.0           # H100 / H200: what the GPU job runs on
CC_ENV = "BRIAN2_HARNESS_CUDA_CC"          # compute capability to build for when there is no GPU
CXX17_FROM = (13, 0)                       # CUDA version whose CCCL no longer accepts C++11
DEFAULT_CUDA_HOMES = ("/usr/local/cuda", "/opt/cuda")
INSTALL_HINT = "pip install 'brian2cuda==1.0b1' nvidia-curand  (or: pip install 'brian2-harness[cuda]')"
CUDA_HINT = ("install the CUDA toolkit (nvcc) and put it on PATH, or set CUDA_HOME/CUDA_PATH "
             "to the folder that contains bin/nvcc")


@dataclass(frozen=True)
class Gpu:
    index: int
    name: str
    compute_capability: float | None   # None when the driver cannot report it


@dataclass(frozen=True)
class Curand:
    source: str            # "system" (CUDA installation or system folders) or "wheel" (nvidia-curand)
    include_dir: str
    lib_dir: str           # folder of the real library (rpath)
    library: str           # the file -lcurand should resolve to (e.g. libcurand.so.10)
    has_dev_link: bool     # libcurand.so exists next to it


@dataclass(frozen=True)
class Toolchain:
    brian2cuda: str | None = None          # installed version, None if not installed
    nvcc: str | None = None
    nvcc_from: str = ""                    # CUDA_PATH | PATH | CUDA_HOME | default
    cuda_home: str | None = None
    cuda_version: tuple[int, int] | None = None
    gpus: tuple[Gpu, ...] = ()
    no_gpu_reason: str = ""
    curand: Curand | None = None
    arch_list: tuple[str, ...] = ()        # nvcc --list-gpu-arch, e.g. ("compute_75", ...)

    @property
    def cuda_version_str(self) -> str:
        return ".".join(map(str, self.cuda_version)) if self.cuda_version else "?"

    def best_gpu(self) -> Gpu | None:
        """brian2cuda's choice: highest compute capability, lowest id."""
        if not self.gpus:
            return None
        return sorted(self.gpus, key=lambda g: (-(g.compute_capability or 0.0), g.index))[0]


# --- detection (subprocesses only, no Brian) ------------------------------------------------------
def _run(cmd: list[str], timeout: float = 30.0) -> tuple[int, str]:
    """(return code, stdout+stderr); 127 if the program is missing, 124 on timeout."""
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    except FileNotFoundError:
        return 127, f"{cmd[0]}: not found"
    except subprocess.TimeoutExpired:
        return 124, f"{cmd[0]}: timed out after {timeout:g} s"
    except OSError as exc:
        return 126, f"{cmd[0]}: {exc}"
    return p.returncode, (p.stdout or "") + (p.stderr or "")


def find_nvcc(environ=None) -> tuple[str | None, str]:
    """(path to nvcc, where it came from), searched in brian2cuda's order plus CUDA_HOME."""
    env = os.environ if environ is None else environ
    cuda_path = env.get("CUDA_PATH", "")
    if cuda_path and os.path.isfile(os.path.join(cuda_path, "bin", "nvcc")):
        return os.path.join(cuda_path, "bin", "nvcc"), "CUDA_PATH"
    on_path = shutil.which("nvcc", path=env.get("PATH"))
    if on_path:
        return on_path, "PATH"
    cuda_home = env.get("CUDA_HOME", "")
    if cuda_home and os.path.isfile(os.path.join(cuda_home, "bin", "nvcc")):
        return os.path.join(cuda_home, "bin", "nvcc"), "CUDA_HOME"
    for home in DEFAULT_CUDA_HOMES:
        if os.path.isfile(os.path.join(home, "bin", "nvcc")):
            return os.path.join(home, "bin", "nvcc"), "default"
    return None, ""


def cuda_home_of(nvcc: str) -> str:
    """The installation nvcc belongs to (`TOP` of its dry run: nvcc may be a wrapper script elsewhere)."""
    rc, text = _run([nvcc, "--dryrun", "-E", "-x", "cu", os.devnull])
    m = re.search(r"^#\$ TOP=(.+?)\s*$", text, re.M) if rc == 0 else None
    if m:
        return os.path.realpath(m.group(1))
    return os.path.dirname(os.path.dirname(os.path.realpath(nvcc)))


def parse_nvcc_version(text: str) -> tuple[int, int] | None:
    m = re.search(r"release (\d+)\.(\d+)", text)
    return (int(m.group(1)), int(m.group(2))) if m else None


def parse_gpu_list(text: str) -> list[tuple[int, str]]:
    """`nvidia-smi -L` lines: "GPU 0: NVIDIA H100 80GB HBM3 (UUID: GPU-...)"."""
    out = []
    for line in text.splitlines():
        m = re.match(r"\s*GPU (\d+): (.*?)(?: \(UUID: .*\))?\s*$", line)
        if m:
            out.append((int(m.group(1)), m.group(2)))
    return out


def parse_compute_caps(text: str) -> list[tuple[float | None, str]]:
    """`nvidia-smi --query-gpu=compute_cap,name --format=csv,noheader` lines: "9.0, NVIDIA H100 ..."."""
    out = []
    for line in text.splitlines():
        if not line.strip():
            continue
        cap, _, name = line.partition(",")
        try:
            cc = float(cap.strip())
        except ValueError:
            cc = None
        out.append((cc, name.strip()))
    return out


def detect_gpus() -> tuple[tuple[Gpu, ...], str]:
    """(GPUs, why there are none)."""
    if shutil.which("nvidia-smi") is None:
        return (), "nvidia-smi not found"
    rc, text = _run(["nvidia-smi", "-L"])
    if rc != 0:
        return (), f"nvidia-smi -L failed: {text.strip()[:200]}"
    listed = parse_gpu_list(text)
    if not listed:
        return (), f"nvidia-smi lists no GPU ({text.strip()[:120] or 'empty output'})"
    rc, text = _run(["nvidia-smi", "--query-gpu=compute_cap,name", "--format=csv,noheader"])
    caps = parse_compute_caps(text) if rc == 0 else []
    gpus = []
    for k, (index, name) in enumerate(listed):
        cc = caps[k][0] if k < len(caps) else None
        gpus.append(Gpu(index, name, cc))
    return tuple(gpus), ""


def _site_dirs() -> list[str]:
    spec = importlib.util.find_spec("nvidia")
    return list(spec.submodule_search_locations) if spec and spec.submodule_search_locations else []


def find_curand(cuda_home: str | None, cuda_version: tuple[int, int] | None,
                wheel_roots: list[str] | None = None) -> Curand | None:
    """System curand (CUDA installation, then system folders) if complete, else the nvidia-curand wheel."""
    inc_dirs, lib_dirs = [], []
    if cuda_home:
        inc_dirs += [os.path.join(cuda_home, "include")] + sorted(glob.glob(os.path.join(cuda_home, "targets", "*", "include")))
        lib_dirs += [os.path.join(cuda_home, d) for d in ("lib64", "lib")] + \
            sorted(glob.glob(os.path.join(cuda_home, "targets", "*", "lib")))
    inc_dirs += ["/usr/include", "/usr/local/include"]
    lib_dirs += ["/usr/lib/x86_64-linux-gnu", "/usr/lib64", "/usr/lib", "/usr/local/lib"]
    inc = next((d for d in inc_dirs if os.path.isfile(os.path.join(d, "curand.h"))), None)
    lib = next((d for d in lib_dirs if os.path.exists(os.path.join(d, "libcurand.so"))), None)
    if inc and lib:
        return Curand("system", inc, lib, os.path.join(lib, "libcurand.so"), True)

    # nvidia-curand wheels: cu13 -> nvidia/cu13/{include,lib}; cu12 (nvidia-curand-cu12) -> nvidia/curand/...
    roots = _site_dirs() if wheel_roots is None else wheel_roots
    found = []
    for root in roots:
        for header in sorted(glob.glob(os.path.join(root, "*", "include", "curand.h"))):
            base = os.path.dirname(os.path.dirname(header))
            libs = sorted(glob.glob(os.path.join(base, "lib", "libcurand.so*")), key=len)
            if libs:
                found.append((os.path.basename(base), base, libs[0]))
    if not found:
        return None
    major = cuda_version[0] if cuda_version else None
    preferred = {13: "cu13", 12: "curand"}.get(major)
    found.sort(key=lambda f: f[0] != preferred)
    _, base, library = found[0]
    lib_dir = os.path.dirname(library)
    return Curand("wheel", os.path.join(base, "include"), lib_dir, library,
                  os.path.exists(os.path.join(lib_dir, "libcurand.so")))


def brian2cuda_version() -> str | None:
    """Installed brian2cuda version (not imported), None if it is not installed."""
    if importlib.util.find_spec("brian2cuda") is None:
        return None
    return installed_version("brian2cuda") or "unknown"


def detect(environ=None) -> Toolchain:
    """Everything the device needs to know about this machine; runs nvcc and nvidia-smi, imports nothing."""
    env = os.environ if environ is None else environ
    b2c = brian2cuda_version()
    nvcc, nvcc_from = find_nvcc(env)
    cuda_home, version, arch = None, None, ()
    if nvcc:
        cuda_home = cuda_home_of(nvcc)
        version = parse_nvcc_version(_run([nvcc, "--version"])[1])
        rc, text = _run([nvcc, "--list-gpu-arch"])
        arch = tuple(a for a in text.split() if a.startswith("compute_")) if rc == 0 else ()
    gpus, why = detect_gpus()
    curand = find_curand(cuda_home, version) if nvcc else None
    return Toolchain(brian2cuda=b2c, nvcc=nvcc, nvcc_from=nvcc_from, cuda_home=cuda_home,
                     cuda_version=version, gpus=gpus, no_gpu_reason=why, curand=curand, arch_list=arch)


# --- workarounds (planned purely, applied to Brian's preferences in the worker) ---------------------
@dataclass(frozen=True)
class Workaround:
    key: str               # no_gpu | cxx17 | curand_wheel | curand_link | cuda_path
    description: str
    data: dict = field(default_factory=dict, compare=False)


def build_compute_capability(environ=None) -> float:
    env = os.environ if environ is None else environ
    text = env.get(CC_ENV, "")
    try:
        return float(text) if text else DEFAULT_COMPUTE_CAPABILITY
    except ValueError:
        return DEFAULT_COMPUTE_CAPABILITY


def curand_link_dir(cache_dir: str, library: str) -> str:
    """Harness-owned folder that holds the `libcurand.so` link for one curand library."""
    tag = hashlib.sha256(os.path.realpath(library).encode()).hexdigest()[:12]
    return os.path.join(cache_dir, "cuda", f"curand-{tag}")


def plan_workarounds(tc: Toolchain, cache_dir: str, environ=None) -> list[Workaround]:
    """The workarounds this toolchain needs, and nothing else (pure: reads no files, runs nothing)."""
    plan = []
    if tc.nvcc and tc.nvcc_from == "CUDA_HOME":
        plan.append(Workaround("cuda_path", f"cuda_path={tc.cuda_home} (nvcc found via CUDA_HOME, "
                                            "which brian2cuda does not read)", {"cuda_path": tc.cuda_home}))
    if not tc.gpus:
        cc = build_compute_capability(environ)
        plan.append(Workaround("no_gpu", f"no GPU ({tc.no_gpu_reason or 'none found'}): detect_gpus=False, "
                                         f"gpu_id=0, compute_capability={cc} (build only)", {"cc": cc}))
    if tc.cuda_version and tc.cuda_version >= CXX17_FROM:
        plan.append(Workaround("cxx17", f"C++17 for CUDA {tc.cuda_version_str}: -std=c++17 added to nvcc flags, "
                                        "-std=c++11 replaced in gcc flags (brian2cuda 1.0b1 passes -std=c++11; "
                                        "CUDA 13's CCCL needs C++17)"))
    c = tc.curand
    if c is not None and c.source == "wheel":
        plan.append(Workaround("curand_wheel", f"curand from the nvidia-curand wheel: -I{c.include_dir}, "
                                               f"rpath {c.lib_dir}", {"curand": c}))
        if not c.has_dev_link:
            link_dir = curand_link_dir(cache_dir, c.library)
            plan.append(Workaround("curand_link", f"libcurand.so -> {os.path.basename(c.library)} link in "
                                                  f"{link_dir} (the wheel has no libcurand.so)",
                                   {"link_dir": link_dir, "library": c.library}))
    return plan


def _ensure_link(link_dir: str, target: str) -> None:
    os.makedirs(link_dir, exist_ok=True)
    link = os.path.join(link_dir, "libcurand.so")
    if os.path.islink(link) and os.readlink(link) == target:
        return
    tmp = f"{link}.{os.getpid()}.tmp"
    if os.path.lexists(tmp):
        os.unlink(tmp)
    os.symlink(target, tmp)
    os.replace(tmp, link)    # atomic: concurrent workers see the old or the new link, never none


def apply_toolchain(tc: Toolchain, cache_dir: str, build_only: bool, environ=None) -> list[str]:
    """Set Brian's preferences for cuda_standalone on this machine; returns what was patched.

    Runs in the worker (imports brian2 and brian2cuda). `build_only` is the device's mode: without a
    GPU the project is generated for `compute_capability` and compiled, never run.
    """
    import brian2cuda  # noqa: F401  (registers the device and its preferences)
    from brian2 import prefs

    backend = prefs.devices.cuda_standalone.cuda_backend
    done = []
    if not tc.gpus and not build_only:
        raise RuntimeError(f"cuda_standalone cannot run here: no GPU ({tc.no_gpu_reason})")
    for w in plan_workarounds(tc, cache_dir, environ):
        if w.key == "cuda_path":
            backend.cuda_path = w.data["cuda_path"]
        elif w.key == "no_gpu":
            backend.detect_gpus = False
            backend.gpu_id = 0
            backend.compute_capability = float(w.data["cc"])
        elif w.key == "cxx17":
            nvcc_args = list(backend.extra_compile_args_nvcc)
            if "-std=c++17" not in nvcc_args:
                nvcc_args.append("-std=c++17")
            backend.extra_compile_args_nvcc = nvcc_args
            gcc = [a for a in prefs.codegen.cpp.extra_compile_args_gcc if not a.startswith("-std=")]
            prefs.codegen.cpp.extra_compile_args_gcc = gcc + ["-std=c++17"]
        elif w.key == "curand_wheel":
            c = w.data["curand"]
            # -I as an nvcc flag (not -Xcompiler): device and host passes both see it
            backend.extra_compile_args_nvcc = list(backend.extra_compile_args_nvcc) + [f"-I{c.include_dir}"]
            prefs.codegen.cpp.library_dirs = list(prefs.codegen.cpp.library_dirs) + [c.lib_dir]
            prefs.codegen.cpp.runtime_library_dirs = list(prefs.codegen.cpp.runtime_library_dirs) + [c.lib_dir]
        elif w.key == "curand_link":
            _ensure_link(w.data["link_dir"], w.data["library"])
            prefs.codegen.cpp.library_dirs = [w.data["link_dir"]] + list(prefs.codegen.cpp.library_dirs)
        done.append(w.description)
    return done


def environment_report(tc: Toolchain | None = None, cache_dir: str = "") -> dict:
    """What the environment section of a results document can say about CUDA (no Brian import)."""
    tc = detect() if tc is None else tc
    return {
        "brian2cuda": tc.brian2cuda,
        "nvcc": tc.nvcc, "cuda_version": tc.cuda_version_str if tc.nvcc else None,
        "gpus": [dict(index=g.index, name=g.name, compute_capability=g.compute_capability) for g in tc.gpus],
        "no_gpu_reason": tc.no_gpu_reason or None,
        "curand": (f"{tc.curand.source}: {tc.curand.library}" if tc.curand else None),
        "workarounds": [w.description for w in plan_workarounds(tc, cache_dir or "<cache>/")] if tc.nvcc else [],
    }


def probe_toolchain(tc: Toolchain) -> Probe:
    if tc.brian2cuda is None:
        return Probe(UNAVAILABLE, f"brian2cuda is not installed: {INSTALL_HINT}")
    if tc.nvcc is None:
        return Probe(UNAVAILABLE, f"nvcc not found (PATH, CUDA_PATH, CUDA_HOME, {', '.join(DEFAULT_CUDA_HOMES)}): "
                                  f"{CUDA_HINT}")
    if tc.cuda_version is None:
        return Probe(UNAVAILABLE, f"{tc.nvcc} --version did not report a CUDA release")
    if _compiler("c++") is None:
        return Probe(UNAVAILABLE, "no C++ host compiler found for nvcc (install g++)")
    if shutil.which("make") is None:
        return Probe(UNAVAILABLE, "make not found (install make)")
    if tc.curand is None:
        return Probe(UNAVAILABLE, f"curand not found in {tc.cuda_home} nor as a wheel: pip install nvidia-curand")
    nvcc = f"nvcc {tc.cuda_version_str}"
    gpu = tc.best_gpu()
    if gpu is None:
        return Probe(BUILD, f"no GPU ({tc.no_gpu_reason}): builds only; {nvcc} found")
    cc = gpu.compute_capability
    if cc is not None and tc.arch_list and f"compute_{int(round(cc * 10))}" not in tc.arch_list:
        return Probe(UNAVAILABLE, f"GPU {gpu.index} ({gpu.name}) has compute capability {cc}, which {nvcc} "
                                  f"cannot compile for (supports {tc.arch_list[0]}..{tc.arch_list[-1]})")
    more = f" (+{len(tc.gpus) - 1} more)" if len(tc.gpus) > 1 else ""
    return Probe(RUN, f"GPU {gpu.index}: {gpu.name}, compute capability {cc if cc is not None else '?'}{more}; {nvcc}")


