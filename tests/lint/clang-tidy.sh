#!/usr/bin/env bash
# clang-tidy over the harness sources, with the repo's .clang-tidy (warnings are errors).
# usage: clang-tidy.sh BUILD_DIR SOURCE...
set -euo pipefail
build_dir=$1
shift
log=$(mktemp)
trap 'rm -f "$log"' EXIT
status=0
printf '%s\n' "$@" | xargs -P"$(nproc)" -n2 clang-tidy -p "$build_dir" --quiet >"$log" 2>&1 || status=$?
grep -v -E '^[0-9]+ warnings? generated\.$|^Suppressed [0-9]+ warnings|^Use -header-filter' "$log" || true
exit "$status"
