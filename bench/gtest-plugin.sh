#!/usr/bin/env bash
# The GoogleTest plugin's cost outside isotest: one 1000-case GoogleTest binary built twice,
# with IsoTest::gtest's listener linked in and without, timed side by side in one hyperfine
# run. Outside isotest (no ISOTEST_EVENTS_FD) the plugin installs nothing, so the ratio should
# be 1 within noise.
#
#   bench/gtest-plugin.sh [BUILD_DIR [RESULTS_DIR]]     (default: build, bench/results)
set -euo pipefail

bench_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo_dir=$(dirname "$bench_dir")
build_dir=$(realpath "${1:-$repo_dir/build}")
results_dir=${2:-$bench_dir/results}
plugin_lib="$build_dir/gtest-plugin/libisotest_gtest.a"
runs=${RUNS:-100}

for tool in hyperfine jq g++; do
  command -v "$tool" >/dev/null || { echo "gtest-plugin.sh: needs $tool (scripts/install-deps.sh --bench)" >&2; exit 2; }
done
if [ ! -e "$plugin_lib" ]; then
  echo "gtest-plugin.sh: no $plugin_lib; build isotest first (cmake --build $build_dir)" >&2
  exit 2
fi
mkdir -p "$results_dir"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# 1000 cases in 50 suites, each doing a little real work and recording nothing.
{
  echo '#include <gtest/gtest.h>'
  echo '#include <string>'
  for suite in $(seq 1 50); do
    for case in $(seq 1 20); do
      echo "TEST(Suite$suite, Case$case) { std::string s(64, 'x'); EXPECT_EQ(s.size(), 64u); }"
    done
  done
} > "$work/cases.cc"

flags=(-std=c++20 -O2 -I"$repo_dir/gtest-plugin/include")
g++ "${flags[@]}" -c "$work/cases.cc" -o "$work/cases.o"
g++ "$work/cases.o" -o "$work/without_plugin" -lgtest_main -lgtest -pthread
g++ "$work/cases.o" -o "$work/with_plugin" -Wl,--undefined=isotest_gtest_plugin_anchor \
    "$plugin_lib" -lgtest_main -lgtest -pthread
# The plugin really is in the second binary.
grep -q ISOTEST_EVENTS_FD "$work/with_plugin"
! grep -q ISOTEST_EVENTS_FD "$work/without_plugin"

hyperfine --shell=none --warmup 10 --runs "$runs" \
  --export-json "$results_dir/gtest-plugin.json" \
  --command-name "without plugin" "$work/without_plugin" \
  --command-name "with plugin" "$work/with_plugin"

jq -r '
  (.results | map({(.command): .}) | add) as $r
  | "mean without plugin: \($r["without plugin"].mean * 1000 | . * 100 | round / 100) ms",
    "mean with plugin:    \($r["with plugin"].mean * 1000 | . * 100 | round / 100) ms",
    "ratio with/without:  \($r["with plugin"].mean / $r["without plugin"].mean | . * 1000 | round / 1000)",
    "stddev of each:      \($r["without plugin"].stddev * 1000 | . * 100 | round / 100) ms, \($r["with plugin"].stddev * 1000 | . * 100 | round / 100) ms",
    "median ratio:        \($r["with plugin"].median / $r["without plugin"].median | . * 1000 | round / 1000)",
    "CPU (user+sys) ratio: \(($r["with plugin"].user + $r["with plugin"].system) / ($r["without plugin"].user + $r["without plugin"].system) | . * 1000 | round / 1000)  (less sensitive to a busy machine than wall time)"
' "$results_dir/gtest-plugin.json"
