#!/usr/bin/env bash
# What packet capture (--capture) costs: one launch of the probe's `exit 0`, and a bulk TCP
# transfer over the sandbox's lo (the probe's tcp-bulk), each with and without --capture,
# alternated so that both see the same machine load. Prints the median wall time of each.
#
#   bench/netlab.sh [ISOTEST [PROBE [BULK_BYTES [RUNS]]]]
#
# Defaults: build/harness/isotest, build/tests/integration/isotest_probe, 50000000 bytes, 20
# runs. See bench/README.md ("Network lab") for the figures.
set -euo pipefail

repo_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
isotest=${1:-$repo_dir/build/harness/isotest}
probe=${2:-$repo_dir/build/tests/integration/isotest_probe}
bulk_bytes=${3:-50000000}
runs=${4:-20}
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT

# Median wall time in ms of the runs of one variant, read from FILE (one figure a line).
median() { sort -n "$1" | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}'; }

time_ms() {
  local start end
  start=$(date +%s%N)
  "$@" >/dev/null
  end=$(date +%s%N)
  echo $(((end - start) / 1000))e-3 | awk '{printf "%.1f\n", $1}'
}

for ((i = 0; i < runs; i++)); do
  time_ms "$isotest" run -- "$probe" exit 0 >>"$scratch/launch"
  time_ms "$isotest" run --capture "$scratch/l.pcap" -- "$probe" exit 0 >>"$scratch/launch-capture"
  time_ms "$isotest" run -- "$probe" tcp-bulk 7000 "$bulk_bytes" >>"$scratch/bulk"
  time_ms "$isotest" run --capture "$scratch/b.pcap" --capture-limit 1G \
    -- "$probe" tcp-bulk 7000 "$bulk_bytes" >>"$scratch/bulk-capture"
done
echo "median of $runs runs (ms): launch $(median "$scratch/launch"), with --capture" \
  "$(median "$scratch/launch-capture"); bulk $bulk_bytes bytes $(median "$scratch/bulk")," \
  "with --capture $(median "$scratch/bulk-capture")"
"$isotest" run --capture "$scratch/b.pcap" --capture-limit 1G --json "$scratch/bulk.json" \
  -- "$probe" tcp-bulk 7000 "$bulk_bytes" >/dev/null
python3 -c 'import json,sys; c=json.load(open(sys.argv[1]))["capture"]; print("bulk capture:", c["packets"], "packets,", c["bytes"], "bytes,", c["dropped"], "dropped")' "$scratch/bulk.json"
