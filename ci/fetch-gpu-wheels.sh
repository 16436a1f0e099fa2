#!/usr/bin/env bash
# Download everything ci/gpu.sh installs on a GPU machine that has no network, into a wheels folder.
# Run it here (with network), then carry the folder to the GPU machine next to this checkout.
#
# Usage: bash ci/fetch-gpu-wheels.sh [DIR]          (default DIR: wheels)
#   MINIMAL=1     only the harness, brian2 and brian2cuda (~2.6 MB): for a GPU machine whose Python already
#                 has numpy, sympy, cython, jinja2, pyparsing, rich, hypothesis, matplotlib and nvidia-curand
#                 (this workplace's 'cuda' image does; the full set is ~130 MB, over the 64 MiB a device call carries)
#   WITH_CU12=1   also fetch nvidia-curand-cu12 (for a GPU machine whose CUDA toolkit is 12.x and has no curand)
#   PYTHON=...    the Python whose pip downloads (default: .venv/bin/python, else python3)
#
# What ends up in DIR: the harness wheel (pip wheel --no-deps .), brian2 2.10.1 (cp312 manylinux),
# brian2cuda 1.0b1, nvidia-curand (the CUDA 13 curand: headers + libcurand.so.10, ~77 MB) and the whole
# dependency closure for CPython 3.12 on manylinux x86_64 (numpy, sympy, cython, jinja2, markupsafe,
# pyparsing, setuptools, packaging, rich, hypothesis, matplotlib and theirs). ci/gpu.sh's venv also sees
# the packages of the Python it is made from, so what the GPU machine already has is used and the rest
# comes from DIR.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"
dir=${1:-wheels}
py=${PYTHON:-}
if [ -z "$py" ]; then
    if [ -x .venv/bin/python ]; then py=.venv/bin/python; else py=python3; fi
fi
mkdir -p "$dir"

echo "fetch-gpu-wheels: harness wheel -> $dir"
rm -f "$dir"/brian2_harness-*.whl
# built from a copy: setuptools writes build/ and *.egg-info into the source folder
src=$(mktemp -d)
trap 'rm -rf "$src"' EXIT
cp -r pyproject.toml README.md harness models "$src"/
find "$src" -name __pycache__ -prune -exec rm -rf {} +
dir_abs=$(cd "$dir" && pwd)
"$py" -m pip wheel -q --no-deps -w "$dir_abs" "$src"
harness_whl=$(ls "$dir"/brian2_harness-*.whl | head -1)

# Target: CPython 3.12, manylinux x86_64. nvidia-curand's real wheels are manylinux_2_27; an unpinned
# request for a platform it does not match resolves to a 0.0.0a0 placeholder, hence the lower bound.
platform_args=(--only-binary=:all: --python-version 3.12 --implementation cp --abi cp312
               --platform manylinux_2_28_x86_64 --platform manylinux_2_27_x86_64
               --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64)
if [ "${MINIMAL:-0}" = 1 ]; then
    reqs=("brian2==2.10.1" "brian2cuda==1.0b1")
    echo "fetch-gpu-wheels: ${reqs[*]} (no dependencies) -> $dir"
    "$py" -m pip download -q -d "$dir" --no-deps "${platform_args[@]}" "${reqs[@]}"
else
    reqs=("${harness_whl}[cuda]" "brian2==2.10.1" "brian2cuda==1.0b1" "nvidia-curand>=10.4")
    echo "fetch-gpu-wheels: ${reqs[*]} and their dependencies (cp312, manylinux x86_64) -> $dir"
    "$py" -m pip download -q -d "$dir" "${platform_args[@]}" "${reqs[@]}"
fi
if [ "${WITH_CU12:-0}" = 1 ]; then
    "$py" -m pip download -q -d "$dir" --no-deps "${platform_args[@]}" "nvidia-curand-cu12>=10.3"
fi

# the placeholder must not be there: pip --no-index would pick it when nothing else matches
if ls "$dir"/nvidia_curand-0.0.0* >/dev/null 2>&1; then
    echo "fetch-gpu-wheels: removing the nvidia-curand placeholder wheel" >&2
    rm -f "$dir"/nvidia_curand-0.0.0*
fi
musts=("brian2-2.10.1-cp312-*manylinux*" "brian2cuda-1.0b1-*" "brian2_harness-*")
[ "${MINIMAL:-0}" = 1 ] || musts+=("nvidia_curand-10.*")
for must in "${musts[@]}"; do
    ls "$dir"/$must >/dev/null 2>&1 || { echo "fetch-gpu-wheels: missing $must in $dir" >&2; exit 1; }
done
echo "fetch-gpu-wheels: $(ls "$dir" | wc -l) wheels, $(du -sh "$dir" | cut -f1) in $dir"
ls "$dir"
