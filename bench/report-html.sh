#!/usr/bin/env bash
# The HTML report at scale: N hand-made results (tests/report/make_results.py, 8 parallel
# slots), turned into one page by `isotest report --html`, then loaded by headless chromium.
#
#   bench/report-html.sh [-i ISOTEST] [-o RESULTS_DIR] [-n RESULTS] [-r RUNS]
#
# Prints the page's size, how long isotest took to write it, and how long chromium took to load
# and draw it (the page's own performance.now() when its script has drawn everything, from
# navigation start: reading the file, parsing the HTML and the JSON, building the view), each
# the median of RUNS runs. See bench/README.md.
set -euo pipefail

bench_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo_dir=$(dirname "$bench_dir")
isotest="$repo_dir/build/harness/isotest"
results_dir="$bench_dir/results"
count=10000
runs=5

while (($#)); do
  case $1 in
    -i | --isotest) isotest=$2; shift 2 ;;
    -o | --results) results_dir=$2; shift 2 ;;
    -n | --count) count=$2; shift 2 ;;
    -r | --runs) runs=$2; shift 2 ;;
    -h | --help) sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "report-html.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done
command -v chromium >/dev/null ||
  { echo "report-html.sh: chromium is missing; run scripts/install-deps.sh" >&2; exit 2; }

work=$(mktemp -d /var/tmp/isotest-report-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT INT TERM HUP
mkdir -p "$results_dir"
python3 "$repo_dir/tests/report/make_results.py" "$work/results" --count "$count" --jobs 8
input_bytes=$(du -sb "$work/results" | cut -f1)

median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

write_ms=()
load_ms=()
chromium_ms=()
for _ in $(seq "$runs"); do
  start=$(date +%s%N)
  status=0
  "$isotest" report "$work/results" --html "$work/report.html" >/dev/null || status=$?
  [ "$status" -le 1 ] || { echo "report-html.sh: isotest report failed ($status)" >&2; exit 1; }
  write_ms+=($((($(date +%s%N) - start) / 1000000)))
  start=$(date +%s%N)
  dom=$(chromium --headless --no-sandbox --disable-gpu --disable-dev-shm-usage --no-first-run \
    --user-data-dir="$work/profile" --dump-dom "file://$work/report.html" 2>/dev/null)
  chromium_ms+=($((($(date +%s%N) - start) / 1000000)))
  grep -q 'data-render="ok"' <<<"$dom" ||
    { echo "report-html.sh: the page did not render" >&2; exit 1; }
  load_ms+=("$(grep -o 'data-render-ms="[0-9]*"' <<<"$dom" | head -1 | tr -dc 0-9)")
done
page_bytes=$(stat -c %s "$work/report.html")
bars=$(grep -o 'class="bar ' <<<"$dom" | wc -l) || true

{
  echo "isotest report --html, $count results ($((input_bytes / 1024)) KiB of result files), $runs runs, $(nproc) CPUs, load $(cut -d' ' -f1 /proc/loadavg)"
  echo "chromium: $(chromium --version 2>/dev/null)"
  echo "page size:                       $page_bytes bytes ($((page_bytes / 1024)) KiB), $bars timeline bars"
  echo "isotest report --html (median):  $(printf '%s\n' "${write_ms[@]}" | median) ms"
  echo "page drawn, performance.now():   $(printf '%s\n' "${load_ms[@]}" | median) ms (median; all: ${load_ms[*]})"
  echo "chromium --dump-dom, whole run:  $(printf '%s\n' "${chromium_ms[@]}" | median) ms (start-up and exit included)"
} | tee "$results_dir/report-html.txt"
