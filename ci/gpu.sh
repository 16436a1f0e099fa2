#!/usr/bin/env bash
# GPU job: verify every variant (growth and metaplastic) on cuda_standalone (brian2cuda) on a machine with an NVIDIA GPU,
# the CUDA toolkit (nvcc) and no network. Everything is installed from a wheels folder made beforehand
# with ci/fetch-gpu-wheels.sh.
#
# Usage: bash ci/gpu.sh [extra brian2-harness run args...]
#   WHEELS=wheels            the folder with the wheels
#   VENV=.venv-gpu           the virtual environment to create; it also sees the packages of the Python it
#                            is made from, so only what that Python lacks must be in WHEELS
#   CASES=50                 generated cases per cell
#   OUT=results-gpu.json     the JSON results document (the bench writes results-gpu-bench.json)
#   BENCH_CASES=100000       cases in the bench's one build
#   PYTHON=...               a Python 3.12 (default: found on PATH / pyenv / common folders)
# Exit code: that of `brian2-harness run` (0 all pass; 1 a failure, an error, or cuda_standalone did not
# run, e.g. no GPU; 2 usage error), or 3 when the environment cannot be set up.
set -uo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"
wheels=${WHEELS:-wheels}
venv=${VENV:-.venv-gpu}
cases=${CASES:-50}
out=${OUT:-results-gpu.json}
fail() { echo "ci/gpu.sh: $*" >&2; exit 3; }

echo "== machine"
nvidia-smi -L 2>&1 || echo "(nvidia-smi -L failed: no GPU or no driver)"
nvidia-smi --query-gpu=name,compute_cap,driver_version,memory.total --format=csv 2>/dev/null || true
if command -v nvcc >/dev/null 2>&1; then nvcc --version | tail -2; else echo "nvcc: not on PATH (CUDA_HOME=${CUDA_HOME:-unset})"; fi

works() { "$1" -c 'import sys, venv; assert sys.version_info[:2] == (3, 12)' >/dev/null 2>&1; }
py312=${PYTHON:-}
if [ -z "$py312" ]; then
    for cand in python3.12 "$(command -v pyenv >/dev/null 2>&1 && pyenv prefix 3.12 2>/dev/null | head -1)/bin/python3.12" \
                "${PYENV_ROOT:-$HOME/.pyenv}"/versions/3.12*/bin/python3.12 /usr/local/bin/python3.12 \
                /usr/bin/python3.12 /opt/python/3.12*/bin/python3.12 python3; do
        [ -n "$cand" ] || continue
        path=$(command -v "$cand" 2>/dev/null || true)
        if [ -n "$path" ] && works "$path"; then py312=$path; break; fi
    done
fi
[ -n "$py312" ] && works "$py312" || fail "no working Python 3.12 found (brian2 2.10.1 needs it); set PYTHON"
echo "python: $py312 ($("$py312" --version 2>&1))"

echo "== install from $wheels (no network)"
ls "$wheels"/brian2_harness-*.whl >/dev/null 2>&1 || fail "no harness wheel in '$wheels': run ci/fetch-gpu-wheels.sh where there is network"
if [ ! -x "$venv/bin/python" ]; then
    "$py312" -m venv "$venv" || fail "cannot create $venv"
    # The venv sees the chosen Python's packages (numpy, sympy, nvidia-curand, ...) behind its own, also when
    # that Python is itself a venv (--system-site-packages would skip a venv's packages): a .pth file.
    venv_site=$("$venv/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
    "$py312" -c 'import sys; print("\n".join(p for p in sys.path if p.endswith(("site-packages", "dist-packages"))))' \
        > "$venv_site/_gpu_parent_site.pth"
fi
pkgs=("brian2-harness[cuda]")
cuda_major=$(nvcc --version 2>/dev/null | sed -n 's/.*release \([0-9]*\)\..*/\1/p')
if [ "$cuda_major" = 12 ] && ls "$wheels"/nvidia_curand_cu12-* >/dev/null 2>&1; then pkgs+=("nvidia-curand-cu12"); fi
"$venv/bin/python" -m pip install -q --no-index --find-links "$wheels" --force-reinstall --no-deps \
    "$wheels"/brian2_harness-*.whl || fail "installing the harness wheel failed"
"$venv/bin/python" -m pip install -q --no-index --find-links "$wheels" "${pkgs[@]}" \
    || fail "pip install --no-index --find-links $wheels ${pkgs[*]} failed (a wheel missing from $wheels?)"
"$venv/bin/python" -m pip list 2>/dev/null | grep -iE '^(brian2|brian2cuda|brian2-harness|numpy|nvidia-curand)' || true

echo "== toolchain"
"$venv/bin/python" - <<'EOF'
import json, sys
from brian2_harness import cuda
from brian2_harness.devices import get_device
probe = get_device("cuda_standalone").probe()
print(f"probe: {probe.mode}: {probe.reason}")
print(json.dumps(cuda.environment_report(), indent=1))
if probe.mode != "run":
    # fail before minutes of building: without a GPU the cells could only be built, never checked
    why = probe.reason if probe.mode == "build" else f"unavailable: {probe.reason}"
    print(f"ci/gpu.sh: cuda_standalone required but {why}", file=sys.stderr)
    sys.exit(1)
EOF
[ $? -eq 0 ] || exit 1

echo "== run"
"$venv/bin/brian2-harness" run --devices cuda_standalone --require cuda_standalone \
    --variants summed_aligned,summed_seed,summed_every_step,metaplastic_stdp --dtype float64,float32 \
    --cases "$cases" --json "$out" --quiet "$@"
rc=$?

echo "== summary"
OUT="$out" RC="$rc" "$venv/bin/python" - <<'EOF'
import json, os, subprocess
from collections import Counter, defaultdict
rc, path = int(os.environ["RC"]), os.environ["OUT"]
try:
    gpu = subprocess.run(["nvidia-smi", "--query-gpu=name,compute_cap", "--format=csv,noheader"],
                         capture_output=True, text=True, timeout=20).stdout.strip() or "none"
except (OSError, subprocess.SubprocessError):
    gpu = "none (nvidia-smi not available)"
print(f"GPU: {gpu}")
if not os.path.exists(path):
    print(f"no results document ({path}); brian2-harness exit code {rc}")
    raise SystemExit(0)
doc = json.load(open(path))
env = doc.get("environment", {})
print(f"brian2 {env.get('brian2')}, brian2cuda {env.get('brian2cuda')}, {env.get('nvcc')}, status {doc.get('status')}")
groups = defaultdict(list)
for c in doc["cells"]:
    groups[(c["variant"], c["device"], c["dtype"])].append(c)
for (variant, device, dtype), cells in sorted(groups.items()):
    counts = Counter(c["verdict"] for c in cells)
    errs = [c["max_abs_err"] for c in cells if c.get("max_abs_err") is not None]
    tols = [c["tolerance"] for c in cells if c.get("tolerance") is not None]
    bad = next((c for c in cells if c["verdict"] in ("fail", "error", "skip")), None)
    line = (f"{variant:18s} {device:16s} {dtype:8s} " + " ".join(f"{k}={v}" for k, v in sorted(counts.items()))
            + (f"  max|err|={max(errs):.3g}" if errs else "") + (f"  min tol={min(tols):.3g}" if tols else ""))
    print(line + (f"\n    first problem ({bad['case_id']}): {bad['reason'][:300]}" if bad else ""))
for j in doc.get("jobs", []):
    t = j.get("timing", {})
    print(f"  {j['label']}: {j['seconds']:.1f} s  " + ", ".join(f"{k}={v:.1f}" for k, v in sorted(t.items())
                                                                if isinstance(v, (int, float)))
          + (f"  ERROR {j['error'][:200]}" if j.get("error") else ""))
if doc.get("required_missing"):
    print(f"required device(s) did not run: {', '.join(doc['required_missing'])}")
print(f"brian2-harness exit code {rc}; results in {path}")
EOF

echo "== bench: 10^5 cases in one build, warm cases/min on cuda_standalone vs cpp_standalone (one run)"
"$venv/bin/brian2-harness" bench --device cuda_standalone --variant summed_aligned \
    --cuda-cases "${BENCH_CASES:-100000}" --json "${out%.json}-bench.json" || echo "(bench failed: exit $?)"
exit "$rc"
