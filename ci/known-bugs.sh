#!/bin/bash
# Measures docs/known-bugs.md: each script of models/known_bugs/ recorded under a reference Brian2, then compared
# (`check --against`) under the affected and the fixed release(s). Needs one environment per Brian2 release with
# the harness installed (see docs/script-baselines.md for the pins), named $VENVS/venv-b<version without dots>
# (venv-b254, venv-b260, venv-b271, venv-b2804, venv-b290, venv-b2100, venv-b2101, venv-b2110).
#   VENVS=/work bash ci/known-bugs.sh [OUT]       (about 40 min on 2 busy cores)
set -u
VENVS=${VENVS:-/work}
OUT=${1:-known-bugs-out}
KB=models/known_bugs
mkdir -p "$OUT"
h() { echo "$VENVS/venv-b${1//./}/bin/brian2-harness"; }
record() {  # version script devices
  echo "$(date +%T) record $2 under $1 ($3)"
  timeout 1200 "$(h "$1")" check "$KB/$2.py" --devices "$3" --record "$OUT/base-$1" --quiet > "$OUT/rec-$2-$1.txt" 2>&1
  echo "rc=$?" >> "$OUT/rec-$2-$1.txt"
}
against() {  # version script baseline-version
  echo "$(date +%T) against $2 under $1 (baseline $3)"
  timeout 1200 "$(h "$1")" check "$KB/$2.py" --against "$OUT/base-$3" --quiet > "$OUT/ag-$2-$1.txt" 2>&1
  echo "rc=$?" >> "$OUT/ag-$2-$1.txt"
}
# script                      devices                baseline  affected         fixed (or unaffected)
while read -r script devices base affected fixed; do
  [ -z "$script" ] && continue
  [ -d "$OUT/base-$base/$script" ] || record "$base" "$script" "$devices"
  for v in ${affected//,/ } ${fixed//,/ }; do against "$v" "$script" "$base"; done
done <<'TABLE'
floor_division_cpp            numpy,cpp_standalone   2.10.1    2.5.4            2.6.0
true_literal_cpp              numpy,cpp_standalone   2.10.1    2.6.0            2.5.4,2.7.1
refractory_truncated          numpy,cpp_standalone   2.10.1    2.5.4,2.6.0      2.7.1
custom_event_pathways         numpy,cpp_standalone   2.10.1    2.6.0            2.7.1,2.5.4
run_args_uppercase            numpy,cpp_standalone   2.10.1    2.6.0            2.7.1
run_args_subgroup_reference   numpy,cpp_standalone   2.10.1    2.9.0            2.10.0
store_restore_delays          numpy,cython           2.10.1    2.9.0            2.10.0
run_regularly_clock_names     numpy,cpp_standalone   2.10.1    2.10.0           2.11.0,2.9.0
view_lifetime_regression      numpy,cython           2.9.0     2.10.1,2.11.0    2.8.0.4
TABLE
# Bugs no release has fixed yet: a device comparison (`check`, no baseline) on every release, each must fail.
device() {  # version script devices
  echo "$(date +%T) check $2 under $1 ($3)"
  timeout 1200 "$(h "$1")" check "$KB/$2.py" --devices "$3" --quiet > "$OUT/dev-$2-$1.txt" 2>&1
  echo "rc=$?" >> "$OUT/dev-$2-$1.txt"
}
# script                        devices                        releases
while read -r script devices releases; do
  [ -z "$script" ] && continue
  for v in ${releases//,/ }; do device "$v" "$script" "$devices"; done
done <<'TABLE'
clip_integer_cpp                numpy,cython,cpp_standalone    2.5.4,2.6.0,2.7.1,2.8.0.4,2.9.0,2.10.0,2.10.1,2.11.0
start_scope_time_standalone     numpy,cython,cpp_standalone    2.5.4,2.6.0,2.7.1,2.8.0.4,2.9.0,2.10.0,2.10.1,2.11.0
TABLE
grep -H "against the baseline" "$OUT"/ag-*.txt
grep -H "rc=" "$OUT"/dev-*.txt
