#!/usr/bin/env bash
# Run a tox environment of this project on a machine that may lack a working `python3.12` on PATH.
# Usage: bash ci/tox.sh ENV[,ENV...] [tox args...]   e.g.  bash ci/tox.sh lint,docs,cpu    bash ci/tox.sh matrix
#        bash ci/tox.sh upgrade                 (the label: brian2.9 record, brian2.10 and brian2.11 compare)
# Finds Python 3.12 (PATH, then pyenv, then common install folders), installs tox into .ci-venv if
# tox is missing, and runs `tox -e ENV,...` with that Python first on PATH (labels in the list: `-m LABEL`).
# tox runs every env of the list and fails when any of them fails. `lint` and `docs` need no Python 3.12: when
# the list holds only those, any python3 >= 3.11 will do. Python 3.11 and 3.13 (for the brian2.9 and brian2.11
# envs) are put on PATH too when found the same way; without them only those envs fail.
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
needs312=no                                   # lint and docs run on any Python >= 3.11
for env in ${env_name//,/ }; do
    case "$env" in lint|docs) ;; *) needs312=yes ;; esac
done
if [ -z "$py312" ] && [ "$needs312" = no ] && command -v python3 >/dev/null 2>&1 \
        && python3 -c 'import sys, venv; assert sys.version_info >= (3, 11)' >/dev/null 2>&1; then
    py312=$(python3 -c 'import sys; print(sys.executable)')
fi
if [ -z "$py312" ]; then
    echo "ci/tox.sh: no working Python 3.12 found (brian2 2.10.1 needs Python >= 3.12)." >&2
    echo "Install one (e.g. 'pyenv install 3.12' or your package manager) and put it on PATH." >&2
    exit 3
fi
bindir=$(dirname "$py312")
echo "ci/tox.sh: using $py312 ($("$py312" --version))"

# Other interpreters some envs need (brian2.9: 3.11, brian2.11: 3.13): same search, optional.
find_python() {   # $1 = major.minor, $2 = full version pyenv may know
    local v=$1 full=$2 cand path
    for cand in "python$v" "$(command -v pyenv >/dev/null 2>&1 && pyenv prefix "$full" 2>/dev/null)/bin/python$v" \
                "$(command -v pyenv >/dev/null 2>&1 && pyenv prefix "$v" 2>/dev/null | head -1)/bin/python$v" \
                "${PYENV_ROOT:-$HOME/.pyenv}"/versions/$v*/bin/python$v /root/.pyenv/versions/$v*/bin/python$v \
                /usr/local/bin/python$v /usr/bin/python$v /opt/python/$v*/bin/python$v; do
        [ -n "$cand" ] || continue
        path=$(command -v "$cand" 2>/dev/null || true)
        # sys.executable: the real interpreter behind a pyenv shim (a shims folder on PATH would bring all versions)
        if [ -n "$path" ] && real=$("$path" -c "import sys, venv; assert sys.version_info[:2] == tuple(map(int, '$v'.split('.'))); print(sys.executable)" \
                2>/dev/null) && [ -n "$real" ]; then
            echo "$real"; return 0
        fi
    done
    return 1
}
extra_path=""
for pair in 3.11:3.11.7 3.13:3.13.0; do
    if found=$(find_python "${pair%%:*}" "${pair#*:}"); then
        extra_path="$extra_path:$(dirname "$found")"
        echo "ci/tox.sh: also on PATH: $found"
    fi
done

if command -v tox >/dev/null 2>&1 && tox --version >/dev/null 2>&1; then
    tox_cmd=(tox)
else
    if [ ! -x .ci-venv/bin/tox ] || ! .ci-venv/bin/python -c 'import tox_uv' >/dev/null 2>&1; then
        if [ ! -x .ci-venv/bin/python ]; then
            "$py312" -m venv .ci-venv
            .ci-venv/bin/python -m pip install -q --upgrade pip
        fi
        .ci-venv/bin/python -m pip install -q 'tox>=4.10' 'tox-uv>=1.11'    # tox-uv: tox.ini's lint and docs envs
    fi
    tox_cmd=(.ci-venv/bin/tox)
fi
envs=() labels=()
for env in ${env_name//,/ }; do
    case "$env" in upgrade|history) labels+=("$env") ;; *) envs+=("$env") ;; esac    # a label: several envs, in order
done
export PATH="$bindir$extra_path:$PATH"
env_list=$(IFS=,; echo "${envs[*]}")
if [ ${#labels[@]} -eq 0 ]; then exec "${tox_cmd[@]}" -e "$env_list" "$@"; fi
if [ ${#envs[@]} -eq 0 ]; then exec "${tox_cmd[@]}" -m "${labels[@]}" "$@"; fi
rc=0                                          # tox takes -m or -e, not both: labels first, then the envs
"${tox_cmd[@]}" -m "${labels[@]}" "$@" || rc=$?
"${tox_cmd[@]}" -e "$env_list" "$@" || rc=$?
exit "$rc"
