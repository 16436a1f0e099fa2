#!/usr/bin/env bash
# Run a tox environment of this project on a machine that may lack a working `python3.12` on PATH.
# Usage: bash ci/tox.sh ENV [tox args...]      e.g.  bash ci/tox.sh cpu     bash ci/tox.sh matrix
# Finds Python 3.12 (PATH, then pyenv, then common install folders), installs tox into .ci-venv if
# tox is missing, and runs `tox -e ENV` with that Python first on PATH.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"
env_name=${1:?usage: ci/tox.sh ENV [tox args...]}
shift

works() { "$1" -c 'import sys, venv; assert sys.version_info[:2] == (3, 12)' >/dev/null 2>&1; }
py312=""
for cand in python3.12 "$(command -v pyenv >/dev/null 2>&1 && pyenv prefix 3.12 2>/dev/null | head -1)/bin/python3.12" \
            "$(command -v pyenv >/dev/null 2>&1 && pyenv prefix 3.12.1 2>/dev/null)/bin/python3.12" \
            "${PYENV_ROOT:-$HOME/.pyenv}"/versions/3.12*/bin/python3.12 /root/.pyenv/versions/3.12*/bin/python3.12 \
            /usr/local/bin/python3.12 /usr/bin/python3.12 /opt/python/3.12*/bin/python3.12; do
    [ -n "$cand" ] || continue
    path=$(command -v "$cand" 2>/dev/null || true)
    if [ -n "$path" ] && works "$path"; then py312=$path; break; fi
done
if [ -z "$py312" ]; then
    echo "ci/tox.sh: no working Python 3.12 found (brian2 2.10.1 needs Python >= 3.12)." >&2
    echo "Install one (e.g. 'pyenv install 3.12' or your package manager) and put it on PATH." >&2
    exit 3
fi
bindir=$(dirname "$py312")
echo "ci/tox.sh: using $py312 ($("$py312" --version))"

if command -v tox >/dev/null 2>&1 && tox --version >/dev/null 2>&1; then
    tox_cmd=(tox)
else
    if [ ! -x .ci-venv/bin/tox ]; then
        "$py312" -m venv .ci-venv
        .ci-venv/bin/python -m pip install -q --upgrade pip
        .ci-venv/bin/python -m pip install -q 'tox>=4.10'
    fi
    tox_cmd=(.ci-venv/bin/tox)
fi
PATH="$bindir:$PATH" exec "${tox_cmd[@]}" -e "$env_name" "$@"
