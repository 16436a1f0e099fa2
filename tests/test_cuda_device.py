"""cuda_standalone: probe modes (fake nvcc / nvidia-smi on PATH), workaround planning, BUILD-mode planning and
judging, and one real build through the CLI (marked cuda_build; skipped without nvcc or brian2cuda)."""
import json
import os
import shutil
import stat
import subprocess
import sys

import pytest

from brian2_harness.cells.verdict import BUILT, ERROR, PASS
from brian2_harness.devices import BUILD, RUN, UNAVAILABLE, Probe, all_devices, get_device
from brian2_harness.devices import cuda_toolchain as cuda
from brian2_harness.families.growth.case import default_case
from brian2_harness.registry import get
from brian2_harness.run import Job, RunConfig, RunResult, plan
from brian2_harness.run.config import BUILT_REASON
from brian2_harness.run.judge import judge
from brian2_harness.variant_sources import load_all

H100_L = "GPU 0: NVIDIA H100 80GB HBM3 (UUID: GPU-5b8a43e6-5b3c-2b9a-7c1e-0123456789ab)"
H100_Q = "9.0, NVIDIA H100 80GB HBM3"
NVCC_VERSION = """nvcc: NVIDIA (R) Cuda compiler driver
Copyright (c) 2005-2025 NVIDIA Corporation
Built on Wed_Aug_20_01:58:59_PM_PDT_2025
Cuda compilation tools, release {v}, V{v}.88
Build cuda_{v}.r{v}/compiler.36424714_0"""


def _lines(text):
    """Shell code printing `text` with builtins only (the fake PATH has no cat)."""
    return "printf '%s\\n' " + " ".join("'" + line.replace("'", "'\\''") + "'" for line in text.splitlines())


def _script(path, body):
    path.write_text("#!/bin/sh\n" + body)
    path.chmod(path.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)


@pytest.fixture
def machine(tmp_path, monkeypatch):
    """A PATH with g++ and make only; helpers add a fake nvcc (with a CUDA folder) and a fake nvidia-smi."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in ("g++", "make"):
        real = shutil.which(tool)
        if real:
            os.symlink(real, bin_dir / tool)
    monkeypatch.setenv("PATH", str(bin_dir))
    for var in ("CUDA_HOME", "CUDA_PATH", "CXX", cuda.CC_ENV):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setattr(cuda, "DEFAULT_CUDA_HOMES", ())
    monkeypatch.setattr(cuda, "brian2cuda_version", lambda: "1.0b1")
    monkeypatch.setattr(cuda, "_site_dirs", lambda: [])      # no nvidia-curand wheel unless a test adds one

    class M:
        path = tmp_path
        bin = bin_dir

        @staticmethod
        def nvcc(version="13.0", curand=True, arch=("compute_75", "compute_80", "compute_90", "compute_100")):
            home = tmp_path / "cuda"
            (home / "bin").mkdir(parents=True, exist_ok=True)
            (home / "include").mkdir(exist_ok=True)
            (home / "lib64").mkdir(exist_ok=True)
            if curand:
                (home / "include" / "curand.h").write_text("")
                (home / "lib64" / "libcurand.so").write_text("")
            _script(bin_dir / "nvcc", f"""case "$1" in
  --version) {_lines(NVCC_VERSION.format(v=version))} ;;
  --list-gpu-arch) printf '%s\\n' {' '.join(arch)} ;;
  --dryrun) echo '#$ TOP={home}/bin/..' >&2 ;;
esac
""")
            return home

        @staticmethod
        def nvidia_smi(listing=H100_L, query=H100_Q, rc=0):
            _script(bin_dir / "nvidia-smi", f"""case "$1" in
  -L) {_lines(listing)} ;;
  --query-gpu=*) {_lines(query)} ;;
esac
exit {rc}
""")
    return M


def test_registered_and_cheap_to_import():
    assert "cuda_standalone" in [d.name for d in all_devices()]
    code = ("import sys, brian2_harness.devices as d; d.get_device('cuda_standalone').probe(); "
            "print('brian2' in sys.modules, 'brian2cuda' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "False"]


def test_unavailable_without_brian2cuda(machine, monkeypatch):
    machine.nvcc()
    monkeypatch.setattr(cuda, "brian2cuda_version", lambda: None)
    p = cuda.probe_toolchain(cuda.detect())
    assert p.mode == UNAVAILABLE
    assert "brian2cuda is not installed" in p.reason and "pip install 'brian2cuda==1.0b1' nvidia-curand" in p.reason


def test_unavailable_without_nvcc(machine):
    machine.nvidia_smi()                       # a GPU does not help without a compiler
    p = get_device("cuda_standalone").probe()
    assert p.mode == UNAVAILABLE
    assert p.reason.startswith("nvcc not found") and "CUDA_HOME" in p.reason and "install the CUDA toolkit" in p.reason


def test_nvcc_via_cuda_home_is_found_and_patched(machine, monkeypatch):
    home = machine.nvcc()
    os.rename(machine.bin / "nvcc", home / "bin" / "nvcc")
    monkeypatch.setenv("CUDA_HOME", str(home))
    tc = cuda.detect()
    assert tc.nvcc == str(home / "bin" / "nvcc") and tc.nvcc_from == "CUDA_HOME"
    assert [w.key for w in cuda.plan_workarounds(tc, "/c")] == ["cuda_path", "no_gpu", "cxx17"]


def test_nvcc_without_gpu_builds_only(machine):
    machine.nvcc()
    tc = cuda.detect()
    assert tc.cuda_version == (13, 0) and tc.gpus == () and tc.no_gpu_reason == "nvidia-smi not found"
    assert tc.curand.source == "system"
    p = get_device("cuda_standalone").probe()
    assert p == Probe(BUILD, "no GPU (nvidia-smi not found): builds only; nvcc 13.0 found")


def test_nvidia_smi_without_driver_builds_only(machine):
    machine.nvcc()
    machine.nvidia_smi(listing="NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver.",
                       rc=9)
    p = cuda.probe_toolchain(cuda.detect())
    assert p.mode == BUILD and "nvidia-smi -L failed" in p.reason


def test_fake_gpu_runs_with_parsed_compute_capability(machine):
    machine.nvcc()
    machine.nvidia_smi()
    tc = cuda.detect()
    assert tc.gpus == (cuda.Gpu(0, "NVIDIA H100 80GB HBM3", 9.0),)
    p = cuda.probe_toolchain(tc)
    assert p.mode == RUN
    assert "NVIDIA H100 80GB HBM3" in p.reason and "compute capability 9.0" in p.reason
    # with a GPU there is nothing to patch for GPU detection; C++17 is still needed for CUDA 13
    assert [w.key for w in cuda.plan_workarounds(tc, "/c")] == ["cxx17"]


def test_best_gpu_and_unsupported_compute_capability(machine):
    machine.nvcc()
    machine.nvidia_smi(listing="GPU 0: Tesla V100-SXM2-16GB (UUID: GPU-1)\nGPU 1: NVIDIA A100 (UUID: GPU-2)",
                       query="7.0, Tesla V100-SXM2-16GB\n8.0, NVIDIA A100")
    tc = cuda.detect()
    assert tc.best_gpu() == cuda.Gpu(1, "NVIDIA A100", 8.0)
    assert cuda.probe_toolchain(tc).mode == RUN
    machine.nvidia_smi(listing="GPU 0: Tesla V100-SXM2-16GB (UUID: GPU-1)", query="7.0, Tesla V100-SXM2-16GB")
    p = cuda.probe_toolchain(cuda.detect())
    assert p.mode == UNAVAILABLE and "compute capability 7.0" in p.reason


def test_curand_from_wheel_when_cuda_has_none(machine, monkeypatch, tmp_path):
    machine.nvcc(curand=False)
    wheel = tmp_path / "site" / "nvidia"
    (wheel / "cu13" / "include").mkdir(parents=True)
    (wheel / "cu13" / "lib").mkdir()
    (wheel / "cu13" / "include" / "curand.h").write_text("")
    (wheel / "cu13" / "lib" / "libcurand.so.10").write_text("")
    p = cuda.probe_toolchain(cuda.detect())
    assert p.mode == UNAVAILABLE and "pip install nvidia-curand" in p.reason
    monkeypatch.setattr(cuda, "_site_dirs", lambda: [str(wheel)])
    tc = cuda.detect()
    assert tc.curand == cuda.Curand("wheel", str(wheel / "cu13" / "include"), str(wheel / "cu13" / "lib"),
                                    str(wheel / "cu13" / "lib" / "libcurand.so.10"), False)
    plan = cuda.plan_workarounds(tc, str(tmp_path / "cache"))
    assert [w.key for w in plan] == ["no_gpu", "cxx17", "curand_wheel", "curand_link"]
    text = "\n".join(w.description for w in plan)
    assert "compute_capability=9.0" in text and "-std=c++17" in text and "libcurand.so -> libcurand.so.10" in text
    assert str(tmp_path / "cache" / "cuda") in plan[-1].description       # harness cache, not site-packages


def test_nothing_patched_when_nothing_is_needed():
    tc = cuda.Toolchain(brian2cuda="1.0b1", nvcc="/usr/local/cuda/bin/nvcc", nvcc_from="PATH",
                        cuda_home="/usr/local/cuda", cuda_version=(12, 4), gpus=(cuda.Gpu(0, "NVIDIA A100", 8.0),),
                        curand=cuda.Curand("system", "/usr/local/cuda/include", "/usr/local/cuda/lib64",
                                           "/usr/local/cuda/lib64/libcurand.so", True))
    assert cuda.plan_workarounds(tc, "/c") == []


def test_compute_capability_override(machine, monkeypatch):
    machine.nvcc()
    monkeypatch.setenv(cuda.CC_ENV, "8.0")
    plan = cuda.plan_workarounds(cuda.detect(), "/c")
    assert plan[0].key == "no_gpu" and plan[0].data["cc"] == 8.0


@pytest.mark.skipif(cuda.brian2cuda_version() is None, reason="brian2cuda is not installed")
def test_apply_toolchain_sets_prefs_and_link(tmp_path):
    """In a subprocess: Brian's preferences are process-global."""
    lib = tmp_path / "wheel" / "lib"
    lib.mkdir(parents=True)
    (lib / "libcurand.so.10").write_text("")
    code = f"""
import json
from brian2_harness.devices import cuda_toolchain as cuda
tc = cuda.Toolchain(brian2cuda="1.0b1", nvcc="/x/bin/nvcc", nvcc_from="PATH", cuda_home="/x", cuda_version=(13, 0),
                    no_gpu_reason="nvidia-smi not found",
                    curand=cuda.Curand("wheel", "{tmp_path}/wheel/include", "{lib}", "{lib}/libcurand.so.10", False))
done = cuda.apply_toolchain(tc, "{tmp_path}/cache", build_only=True)
from brian2 import prefs
b = prefs.devices.cuda_standalone.cuda_backend
print(json.dumps(dict(done=done, nvcc=b.extra_compile_args_nvcc, gcc=prefs.codegen.cpp.extra_compile_args_gcc,
                      detect=b.detect_gpus, gpu_id=b.gpu_id, cc=b.compute_capability,
                      libdirs=prefs.codegen.cpp.library_dirs, rpath=prefs.codegen.cpp.runtime_library_dirs)))
"""
    out = json.loads(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                                    check=True).stdout.strip().splitlines()[-1])
    assert len(out["done"]) == 4
    assert out["nvcc"][-2:] == ["-std=c++17", f"-I{tmp_path}/wheel/include"] and "-use_fast_math" in out["nvcc"]
    assert "-std=c++17" in out["gcc"] and "-std=c++11" not in out["gcc"]
    assert (out["detect"], out["gpu_id"], out["cc"]) == (False, 0, 9.0)
    link_dir = cuda.curand_link_dir(str(tmp_path / "cache"), str(lib / "libcurand.so.10"))
    assert out["libdirs"][0] == link_dir and str(lib) in out["rpath"]
    assert os.readlink(os.path.join(link_dir, "libcurand.so")) == str(lib / "libcurand.so.10")
    assert not (lib / "libcurand.so").exists()


# --- BUILD mode in the matrix (no Brian) ----------------------------------------------------------------
def _config(devices=("cuda_standalone",)):
    load_all([])
    return RunConfig(variants=["summed_aligned"], devices=list(devices), dtypes=["float64"],
                     cases=[default_case()], require={"cuda_standalone"})


def test_plan_runs_build_mode_devices_as_build_jobs():
    probes = {"numpy": Probe(RUN, ""), "cuda_standalone": Probe(BUILD, "no GPU (x): builds only; nvcc 13.0 found")}
    jobs, skipped = plan(_config(), probes)
    assert [(j.device, j.mode) for j in jobs] == [("cuda_standalone", BUILD)] and not skipped
    assert jobs[0].label.endswith("build only")
    probes["cuda_standalone"] = Probe(UNAVAILABLE, "nvcc not found")
    jobs, skipped = plan(_config(), probes)
    assert not jobs and skipped[0].reason == "device cuda_standalone unavailable: nvcc not found"


def test_built_jobs_are_judged_built_never_pass_and_do_not_satisfy_require():
    cfg = _config()
    job = Job(get("summed_aligned"), "cuda_standalone", "float64", cfg.cases, ["default"], 0, mode=BUILD)
    job.arrays, job.built, job.timing = {}, True, {"build_s": 61.2, "compile_s": 60.0, "compile_cpu_s": 110.0}
    (v,) = judge([job], cfg)
    assert (v.verdict, v.reason) == (BUILT, BUILT_REASON) == (BUILT, "built, not run: no GPU")
    assert v.extra == {"build_s": 61.2, "compile_s": 60.0, "compile_cpu_s": 110.0}
    result = RunResult(verdicts=[v], probes={"cuda_standalone": Probe(BUILD, "no GPU")}, jobs=[job])
    assert result.missing_required({"cuda_standalone"}) == ["cuda_standalone"]
    # a BUILD job whose worker returned observables anyway is an error, not a pass
    job.built = False
    (v,) = judge([job], cfg)
    assert v.verdict == ERROR


# --- a real build (minutes) ----------------------------------------------------------------------------
def _cuda_probe():
    return get_device("cuda_standalone").probe()


@pytest.mark.cuda_build
@pytest.mark.brian
@pytest.mark.skipif(_cuda_probe().mode == UNAVAILABLE, reason=f"cuda_standalone: {_cuda_probe().reason}")
def test_summed_aligned_builds_through_the_cli(tmp_path):
    from brian2_harness.cli import main
    out = tmp_path / "results.json"
    mode = _cuda_probe().mode
    rc = main(["run", "--variants", "summed_aligned", "--devices", "cuda_standalone", "--dtype", "float64",
               "--cases", "2", "--quiet", "--cache-dir", str(tmp_path / "cache"), "--json", str(out)])
    doc = json.loads(out.read_text())
    verdicts = {c["verdict"] for c in doc["cells"]}
    expected = BUILT if mode == BUILD else PASS
    assert verdicts == {expected}, [c["reason"] for c in doc["cells"]]
    if mode == BUILD:
        cell = doc["cells"][0]
        assert cell["reason"] == "built, not run: no GPU" and cell["extra"]["compile_s"] > 0
        assert rc == 1          # no cell ran: the CLI reports "nothing ran"
        build_job = doc["jobs"][0]
        assert build_job["label"].endswith("build only") and build_job["timing"]["compile_cpu_s"] > 0
    else:
        assert rc == 0
