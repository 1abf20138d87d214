#!/bin/sh
# Runs the integration tests as user nobody, the unprivileged path users take.
#
# usage: run-as-nobody.sh TEST_BINARY ISOTEST PROBE SCHEMA VALIDATOR [GTEST_ARGS...]
#
# CI may clone into a directory nobody cannot traverse, so everything the tests need is copied
# into a fresh world-readable directory first. That directory is under /var/tmp, not /tmp:
# inside a sandbox /tmp is a fresh tmpfs, and the probe must be reachable there. The tests' own
# scratch files still go to the host's /tmp. Exits 77 (CTest's SKIP_RETURN_CODE) unless root.
set -eu

if [ "$#" -lt 5 ]; then
  echo "usage: $0 TEST_BINARY ISOTEST PROBE SCHEMA VALIDATOR [GTEST_ARGS...]" >&2
  exit 2
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "run-as-nobody.sh: skipped: becoming user nobody needs root (running as uid $(id -u))" >&2
  exit 77
fi

test_binary=$1 isotest=$2 probe=$3 schema=$4 validator=$5
shift 5

dir=$(mktemp -d /var/tmp/isotest-nobody.XXXXXX)
trap 'rm -rf "$dir"' EXIT INT TERM HUP
chmod 755 "$dir"
cp "$test_binary" "$dir/isotest_integration_tests"
cp "$isotest" "$dir/isotest"
cp "$probe" "$dir/isotest_probe"
cp "$validator" "$dir/validate_result.py"
# A missing schema stays missing: the tests that validate against it say so.
if [ -e "$schema" ]; then cp "$schema" "$dir/result.schema.json"; fi
# ISOTEST_NOBODY_EXTRA="VAR=PATH ...": more files a test binary needs; each is copied too and
# VAR points at the copy.
for pair in ${ISOTEST_NOBODY_EXTRA:-}; do
  copy="$dir/$(basename "${pair#*=}")"
  cp "${pair#*=}" "$copy"
  export "${pair%%=*}=$copy"
done
chmod -R a+rX "$dir"

cd "$dir"
status=0
setpriv --reuid=65534 --regid=65534 --clear-groups \
  env ISOTEST_BIN="$dir/isotest" \
      ISOTEST_PROBE="$dir/isotest_probe" \
      ISOTEST_SCHEMA="$dir/result.schema.json" \
      ISOTEST_VALIDATOR="$dir/validate_result.py" \
      HOME=/nonexistent PATH=/usr/local/bin:/usr/bin:/bin \
  "$dir/isotest_integration_tests" "$@" || status=$?
exit "$status"
