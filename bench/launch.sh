#!/usr/bin/env bash
# Launch benchmark: how long one sandboxed `/bin/true` takes with isotest,
# side by side with plain exec, unshare(1) and bubblewrap, all timed in one
# hyperfine run so they share the machine's state.
#
#   bench/launch.sh [OPTIONS] [ISOTEST [RESULTS_DIR]]
#
# See bench/README.md for the options and how to read the output.
set -euo pipefail

bench_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo_dir=$(dirname "$bench_dir")

isotest="$repo_dir/build/harness/isotest"
results_dir="$bench_dir/results"
runs=300
warmup=30
parallel_jobs=0
launches=200

# The targets of issue 2 ("Speed"): isotest at or below half of bwrap's time
# and within 1.5x of unshare(1)'s.
target_vs_bwrap=0.5
target_vs_unshare=1.5

usage() {
  cat <<EOF
Usage: bench/launch.sh [OPTIONS] [ISOTEST [RESULTS_DIR]]

Times one launch of /bin/true: plain, unshare -Urnmpiu, bwrap --unshare-all,
isotest run (default isolation) and isotest run --json, in one hyperfine run.

  -i, --isotest PATH     isotest binary (default: build/harness/isotest)
  -o, --results DIR      where hyperfine's JSON and Markdown go (default: bench/results)
  -r, --runs N           timed runs per command (default: $runs)
  -w, --warmup N         warm-up runs per command (default: $warmup)
  -p, --parallel JOBS    time batches of launches run JOBS at a time (xargs -P),
                         as ctest -j does, instead of single launches
  -n, --launches N       launches per batch with --parallel (default: $launches)
  -h, --help             this text
EOF
}

die() { echo "launch.sh: $*" >&2; exit 2; }

# A missing or broken launcher must not pass unnoticed: its row disappears from
# the table, so say it where nobody can miss it.
shout() {
  {
    echo
    echo "!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!"
    echo "!!! $*"
    echo "!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!"
    echo
  } >&2
}

positional=()
while (($#)); do
  case $1 in
    -i | --isotest) isotest=${2:?}; shift 2 ;;
    -o | --results) results_dir=${2:?}; shift 2 ;;
    -r | --runs) runs=${2:?}; shift 2 ;;
    -w | --warmup) warmup=${2:?}; shift 2 ;;
    -p | --parallel) parallel_jobs=${2:?}; shift 2 ;;
    -n | --launches) launches=${2:?}; shift 2 ;;
    -h | --help) usage; exit 0 ;;
    --) shift; positional+=("$@"); break ;;
    -*) usage >&2; die "unknown option $1" ;;
    *) positional+=("$1"); shift ;;
  esac
done
((${#positional[@]} <= 2)) || { usage >&2; die "too many arguments"; }
((${#positional[@]} >= 1)) && isotest=${positional[0]}
((${#positional[@]} >= 2)) && results_dir=${positional[1]}

for number in "$runs" "$warmup" "$parallel_jobs" "$launches"; do
  [[ $number =~ ^[0-9]+$ ]] || die "expected a number, got '$number'"
done

command -v hyperfine >/dev/null || die "hyperfine not found; install it: apt-get install -y hyperfine"
command -v jq >/dev/null || die "jq not found; install it: apt-get install -y jq"
[[ -x $isotest ]] || die "isotest binary '$isotest' is not executable; build it first:
  cmake -S $repo_dir -B $repo_dir/build -DISOTEST_BUILD_TESTS=OFF && cmake --build $repo_dir/build -j"
isotest=$(realpath "$isotest")
mkdir -p "$results_dir"
results_dir=$(realpath "$results_dir")

scratch=$(mktemp -d "${TMPDIR:-/tmp}/isotest-bench.XXXXXX")
trap 'rm -rf "$scratch"' EXIT
# Every path is absolute from here on. Run from / so that no launcher depends
# on the caller's directory (isotest's fresh /tmp hides a working directory
# under /tmp, for one).
cd /

# Each row: a name and a command line as hyperfine -N splits it (shell words).
names=()
commands=()

# Adds a row when the launcher is installed and really works on this machine
# (bwrap, for one, is refused inside Docker's default seccomp profile).
add_row() {
  local name=$1 tool=$2
  shift 2
  if ! command -v "$tool" >/dev/null; then
    shout "$name: '$tool' is not installed; its row is skipped (apt-get install -y ${tool/bwrap/bubblewrap})"
    return
  fi
  local output
  if ! output=$("$@" 2>&1 </dev/null); then
    shout "$name: '$*' fails on this machine, so its row is skipped:
!!! ${output//$'\n'/$'\n'!!! }"
    return
  fi
  names+=("$name")
  commands+=("$(printf '%q ' "$@")")
}

mode=serial
basename=launch
json_target="$scratch/result.json"
if ((parallel_jobs > 0)); then
  mode=parallel
  basename=launch-parallel
  # xargs replaces {} with the launch number: one result file per launch.
  json_target="$scratch/result-{}.json"
fi

add_row "true" /bin/true /bin/true
add_row "unshare" unshare unshare -Urnmpiu --fork --mount-proc /bin/true
add_row "bwrap" bwrap bwrap --unshare-all --ro-bind / / --proc /proc --dev /dev --tmpfs /tmp /bin/true
add_row "isotest" "$isotest" "$isotest" run -- /bin/true
add_row "isotest --json" "$isotest" "$isotest" run --json "$json_target" -- /bin/true
# Issue 3's row: the same launch with every cgroup limit applied, so the cost of limiting shows
# as the difference to the "isotest" row (it creates, limits, places and removes a cgroup too).
add_row "isotest limits" "$isotest" "$isotest" run --memory 256M --pids 64 --cpus 1 -- /bin/true
# Issue 14's row: stacks are taken only when a run times out, so a launch that does not time out
# must cost the same with them on (the default) as with --stacks never.
add_row "isotest --stacks never" "$isotest" "$isotest" run --stacks never -- /bin/true
[[ " ${names[*]} " == *" isotest "* ]] || die "isotest itself does not run; try '$isotest doctor'"

if [[ $mode == parallel ]]; then
  # One timed command = $launches launches, $parallel_jobs at a time, so the
  # launchers contend for the kernel's namespace locks as under ctest -j.
  # xargs -I runs the command once per input line.
  seq "$launches" >"$scratch/launches"
  for i in "${!commands[@]}"; do
    commands[i]="xargs -a $(printf '%q' "$scratch/launches") -P $parallel_jobs -I{} ${commands[i]}"
  done
fi

hyperfine_args=(--shell=none --warmup "$warmup" --runs "$runs"
  --export-json "$results_dir/$basename.json" --export-markdown "$results_dir/$basename.md")
for i in "${!commands[@]}"; do
  hyperfine_args+=(--command-name "${names[i]}" "${commands[i]}")
done

{
  echo "# isotest launch benchmark ($mode)"
  echo "# $(date -u +%FT%TZ)  kernel $(uname -r)  cpus $(nproc)  $(hyperfine --version)"
  echo "# isotest: $isotest"
  if [[ $mode == parallel ]]; then
    echo "# each timed command: $launches launches of /bin/true, $parallel_jobs at a time (xargs -P)"
  fi
  for i in "${!commands[@]}"; do
    echo "#   ${names[i]}: ${commands[i]}"
  done
} | tee "$results_dir/$basename.txt"

# Other work on the machine shows up as noise in every row; say so.
read -r load_1min _ </proc/loadavg
if awk -v load="$load_1min" 'BEGIN { exit !(load > 0.5) }'; then
  shout "load average is $load_1min: something else is running, expect noisy numbers"
fi

hyperfine "${hyperfine_args[@]}"

# Summary: means per launch and the ratios the issue sets targets for.
jq -r '.results[] | [.command, .mean, .stddev, .median, .min] | @tsv' "$results_dir/$basename.json" |
  awk -F'\t' -v per="$([[ $mode == parallel ]] && echo "$launches" || echo 1)" \
    -v bwrap_target="$target_vs_bwrap" -v unshare_target="$target_vs_unshare" '
    function verdict(ratio, target) { return ratio <= target ? "PASS" : "MISS" }
    # One ratio line: the verdict is on the means; medians and minimums shrug
    # off outliers from other work on the machine, so they are shown beside them.
    function ratio_line(subject, base, target) {
      label = subject " / " base
      if (!(base in mean)) {
        printf "%-36s %8s %8s %8s %8s  %s\n", label, "-", "-", "-", (target ? "<= " target : ""),
               "SKIPPED (no " base ")"
        return
      }
      r = mean[subject] / mean[base]
      printf "%-36s %8.2f %8.2f %8.2f %8s  %s\n", label, r, median[subject] / median[base],
             minimum[subject] / minimum[base],
             (target ? "<= " target : ""), (target ? verdict(r, target) : "")
    }
    {
      name[NR] = $1; mean[$1] = $2 * 1000 / per; sd[$1] = $3 * 1000 / per
      median[$1] = $4 * 1000 / per; minimum[$1] = $5 * 1000 / per
    }
    END {
      print ""
      if (per > 1) printf "Per launch (batch time / %d):\n", per
      printf "%-24s %10s %8s %10s %10s\n", "launcher", "mean ms", "± ms", "median ms", "min ms"
      for (i = 1; i <= NR; i++)
        printf "%-24s %10.2f %8.2f %10.2f %10.2f\n", name[i], mean[name[i]], sd[name[i]],
               median[name[i]], minimum[name[i]]
      print ""
      printf "%-36s %8s %8s %8s %8s  %s\n", "ratio", "means", "medians", "mins", "target", "verdict"
      split("isotest|isotest --json|isotest limits", subjects, "|")
      for (s = 1; s <= 3; s++) {
        if (!(subjects[s] in mean)) continue
        ratio_line(subjects[s], "unshare", unshare_target)
        ratio_line(subjects[s], "bwrap", bwrap_target)
        ratio_line(subjects[s], "true", 0)
      }
      if ("isotest" in mean && "true" in mean)
        printf "\nisotest overhead over plain exec: %.2f ms per launch\n", mean["isotest"] - mean["true"]
      if ("isotest" in mean && "isotest limits" in mean)
        printf "cost of applying limits: %.2f ms per launch\n", mean["isotest limits"] - mean["isotest"]
      if ("isotest" in mean && "isotest --stacks never" in mean) {
        print ""
        ratio_line("isotest", "isotest --stacks never", 0)
        printf "cost of --stacks on a launch that does not time out: %.2f ms per launch\n",
               mean["isotest"] - mean["isotest --stacks never"]
      }
    }' | tee -a "$results_dir/$basename.txt"

echo
echo "Results: $results_dir/$basename.{json,md,txt}"
