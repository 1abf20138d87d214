#!/usr/bin/env bash
# The main job, from a fresh Debian machine: install what the build needs,
# build isotest, then build the example project of examples/ twice and run
# its tests with `ctest -j` without isolation and with isotest, side by side.
#
#   scripts/demo.sh            (as root it installs missing Debian packages;
#                               as any other user it says what to install)
#
# Exit status: 0 when, under isotest, every test passed except memory_hog,
# which must be stopped at its memory budget (status `oom`); the run without
# isolation is expected to fail, which is the point of the demo.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
isotest_build="$repo/build"
isotest="$isotest_build/harness/isotest"
examples_build="$repo/build-examples"
ctest_jobs=6

step() { printf '\n==> %s\n\n' "$*"; }
die() { printf 'demo.sh: %s\n' "$*" >&2; exit 1; }

build_isotest() {
  cmake -S "$repo" -B "$isotest_build"
  cmake --build "$isotest_build" --target isotest -j "$(nproc)"
  [[ -x $isotest ]] || die "the build did not produce $isotest"
}

# build_examples MODE ISOTEST_PATH: one build tree of examples/ per mode.
build_examples() {
  local mode=$1 isotest_path=$2
  cmake -S "$repo/examples" -B "$examples_build/$mode" -DISOTEST="$isotest_path" \
    -DISOTEST_RESULTS_DIR="$examples_build/$mode/isotest-results"
  cmake --build "$examples_build/$mode" -j "$(nproc)"
}

# run_examples MODE: runs the tests, keeps CTest's log, never stops on failure.
run_examples() {
  local mode=$1 status
  rm -rf "$examples_build/$mode/isotest-results"
  mkdir -p "$examples_build/$mode/isotest-results"
  date +%s >"$examples_build/$mode/started-at"
  set +e
  ctest --test-dir "$examples_build/$mode" -j "$ctest_jobs" --output-on-failure 2>&1 |
    tee "$examples_build/$mode/ctest.log"
  status=${PIPESTATUS[0]}
  set -e
  echo "$status" >"$examples_build/$mode/ctest-status"
}

# CTest's verdict lines ("3/8 Test #5: sysv_ipc_key_a .....***Failed  0.01 sec")
# as "name<TAB>verdict".
verdicts() {
  sed -nE 's/^ *[0-9]+\/[0-9]+ +Test +#[0-9]+: ([^ ]+) \.* *(\*\*\*)?(.*[^ ]) +[0-9.]+ sec$/\1\t\3/p' \
    "$examples_build/$1/ctest.log" | LC_ALL=C sort
}

# What each test is expected to end as under isotest, from its JSON result.
expected_status() {
  case $1 in
    memory_hog) echo oom ;;
    *) echo passed ;;
  esac
}

# The status isotest recorded for test $1 of the isolated run ("missing" without a result).
recorded_status() {
  local file="$examples_build/isolated/isotest-results/$1.json"
  [[ -f $file ]] || { echo missing; return; }
  sed -nE 's/^  "status": "([a-z_]+)",?$/\1/p' "$file"
}

# CTest's verdicts of the isolated run, with isotest's status beside every failure.
isolated_verdicts() {
  local name verdict
  while IFS=$'\t' read -r name verdict; do
    [[ $verdict == Passed ]] || verdict="$verdict ($(recorded_status "$name"))"
    printf '%s\t%s\n' "$name" "$verdict"
  done < <(verdicts isolated)
}

# Lists the tests whose isolated result is not the expected one; fails if there is any.
check_isolated_outcome() {
  local name status unexpected=0
  while IFS=$'\t' read -r name _; do
    status=$(recorded_status "$name")
    if [[ $status != "$(expected_status "$name")" ]]; then
      echo "unexpected under isotest: $name is $status, expected $(expected_status "$name")"
      unexpected=1
    fi
  done < <(verdicts isolated)
  return "$unexpected"
}

# Processes of the example's leaky_daemon that started during this mode's run
# and are still alive on the host.
leaked_daemons() {
  local mode=$1 started now count=0 pid age
  started=$(cat "$examples_build/$mode/started-at")
  now=$(date +%s)
  for pid in $(pgrep -f -- "^$examples_build/$mode/leaky_daemon\$" || true); do
    age=$(ps -o etimes= -p "$pid" 2>/dev/null | tr -d ' ') || continue
    [[ -n $age ]] && ((now - age >= started)) && ((count += 1))
  done
  echo "$count"
}

print_side_by_side() {
  local plain_status isolated_status
  plain_status=$(cat "$examples_build/plain/ctest-status")
  isolated_status=$(cat "$examples_build/isolated/ctest-status")
  LC_ALL=C join -t $'\t' -a 1 -a 2 -e '(not run)' -o 0,1.2,2.2 <(verdicts plain) <(isolated_verdicts) |
    awk -F'\t' -v plain_leaks="$(leaked_daemons plain)" -v isolated_leaks="$(leaked_daemons isolated)" '
      BEGIN { printf "%-20s %-22s %-22s\n", "test", "ctest -j (plain)", "ctest -j + isotest" }
      {
        printf "%-20s %-22s %-22s\n", $1, $2, $3
        total++; plain += ($2 == "Passed"); isolated += ($3 == "Passed")
        contained += ($3 ~ /\(oom\)$/)
      }
      END {
        printf "%-20s %-22s %-22s\n", "passed", plain "/" total, isolated "/" total
        printf "%-20s %-22s %-22s\n", "stopped at its limit", "-", contained
        printf "%-20s %-22s %-22s\n", "daemons left behind", plain_leaks, isolated_leaks
      }'
  echo
  echo "ctest exit status: plain $plain_status, isolated $isolated_status"
}

# The services of the isolated run: each kv_client test's own kv_server, from its result.
print_services() {
  local name file ready_ms
  for name in kv_client_a kv_client_b; do
    file="$examples_build/isolated/isotest-results/$name.json"
    [[ -f $file ]] || continue
    ready_ms=$(sed -nE 's/^ *"ready_ms": ([0-9.]+),?$/\1/p' "$file" | head -n1)
    [[ -z $ready_ms ]] || ready_ms=$(printf '%.1f' "$ready_ms")
    echo "$name: its own kv_server on 127.0.0.1:6379 in its sandbox, ready after ${ready_ms:-?} ms," \
      "stopped after the test"
  done
}

print_results_table() {
  local results="$examples_build/isolated/isotest-results"
  echo "isotest report $results:"
  echo
  "$isotest" report "$results" || true
}

step "Debian packages"
"$repo/scripts/install-deps.sh"

step "Building isotest in $isotest_build"
build_isotest

step "Building the examples twice: $examples_build/plain (no isotest) and $examples_build/isolated"
build_examples plain ""
build_examples isolated "$isotest"

step "ctest -j $ctest_jobs WITHOUT isolation: expect the clashes to fail and leaky_daemon to time out (~10 s)"
run_examples plain

step "ctest -j $ctest_jobs with every test under isotest"
run_examples isolated

step "Summary"
print_side_by_side
echo
print_services
echo
print_results_table

echo
if check_isolated_outcome; then
  echo "demo: every test behaved as expected under isotest (memory_hog stopped at 256 MiB: oom;" \
    "kv_client_a and kv_client_b each had a kv_server of their own on port 6379)"
else
  exit 1
fi
