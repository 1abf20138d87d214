#!/usr/bin/env bash
# Runs a command inside a QEMU VM whose kernel has a pure cgroup v2 hierarchy, on the host's
# own files, and exits with the command's status. See --help and tests/vm/README.md.
set -euo pipefail
shopt -s extglob

readonly status_timeout=124 status_vm_failed=125
# Writable in the guest besides the working directory and $ISOTEST_VM_RW.
readonly default_writable=(/tmp /var/tmp /root /home /etc)
readonly start_marker="isotest-vm: ======== command start"
readonly end_marker="isotest-vm: ======== command end"

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
readonly here
cache_dir=${ISOTEST_VM_CACHE:-/var/cache/isotest-vm}
timeout_s=600
as_user=0
verbose=0

usage() {
  cat <<EOF
usage: run-in-vm.sh [--timeout SECONDS] [--as-user] [--verbose] [--cache DIR] -- COMMAND [ARGS...]

Boots the Debian kernel that prepare.sh cached (QEMU, software emulation, 2 vCPUs, 2 GiB),
with the host's / as the read-only root, cgroup2 on /sys/fs/cgroup with memory, pids and cpu
delegated, and runs COMMAND there in the same working directory:
  as root, in the cgroup /ci.slice/runner (a leaf, like a systemd service); or
  --as-user: as nobody (uid 65534), in /user.slice/user-65534.slice/session.scope, which is
             delegated to nobody like systemd delegates to a user session; the working
             directory and \$ISOTEST_VM_RW then belong to nobody inside the VM.
Writable in the VM (changes vanish with it): ${default_writable[*]}, the working
directory, and the directories in \$ISOTEST_VM_RW (colon-separated).
Environment of COMMAND: PATH, HOME, USER, LOGNAME, TERM=dumb, LANG=C.UTF-8, ISOTEST_IN_VM=1
and the host's ISOTEST_* and GTEST_* variables; use 'env NAME=VALUE COMMAND' for others.

  --timeout SECONDS  stop the VM after this long (default 600)
  --as-user          run COMMAND as nobody with a delegated cgroup subtree
  --verbose          show the kernel's boot messages
  --cache DIR        assets from prepare.sh (default: \$ISOTEST_VM_CACHE, else
                     /var/cache/isotest-vm); prepare.sh runs first if they are missing

Exit status: COMMAND's; $status_timeout the VM timed out; $status_vm_failed the VM failed before
COMMAND reported a status; 77 QEMU is missing and cannot be installed (see prepare.sh).
EOF
}

say() { echo "isotest-vm: $*" >&2; }

while [[ $# -gt 0 ]]; do
  case $1 in
    --timeout) timeout_s=${2:?--timeout needs seconds}; shift 2 ;;
    --as-user) as_user=1; shift ;;
    --verbose) verbose=1; shift ;;
    --cache) cache_dir=${2:?--cache needs a directory}; shift 2 ;;
    -h | --help) usage; exit 0 ;;
    --) shift; break ;;
    -*) say "unknown option '$1'"; usage >&2; exit 2 ;;
    *) break ;;
  esac
done
if [[ $# -eq 0 ]]; then
  usage >&2
  exit 2
fi
[[ $timeout_s =~ ^[1-9][0-9]*$ ]] || { say "--timeout wants whole seconds, not '$timeout_s'"; exit 2; }

"$here/prepare.sh" --quiet --cache "$cache_dir" || exit $?
asset() { sed -n "s/^$1=//p" "$cache_dir/assets"; }
kernel=$cache_dir/$(asset kernel)
initrd=$cache_dir/$(asset initrd)

# --- what the guest gets: files in the `out` share -------------------------------------

# A word the guest's sh reads back verbatim.
quote() { printf "'%s'" "${1//\'/\'\\\'\'}"; }

# Directories the guest mounts overlays on; mount(8) option syntax rules out ',' and ':'.
check_overlay_path() {
  case $1 in
    / | /proc?(/*) | /sys?(/*) | /dev?(/*) | /run?(/*))
      say "cannot make $1 writable in the VM (it is the root or the guest's own); skipped"
      return 1 ;;
    *[,:$'\n']*)
      say "cannot make '$1' writable in the VM: ',' ':' and newlines cannot be in overlay paths"
      exit 2 ;;
  esac
}

# The directories under which nobody must search to reach $1 but cannot.
unsearchable_ancestors() {
  local dir=$1
  while [[ $dir != / ]]; do
    dir=$(dirname "$dir")
    [[ $(stat -c %A "$dir") == *[xt] ]] || echo "$dir"
  done
}

# Keeps only the outermost of nested directories: an overlay covers what is below it.
outermost() {
  local -a kept=()
  local dir parent
  while IFS= read -r dir; do
    for parent in "${kept[@]}"; do
      [[ $dir == "$parent" || $dir == "$parent"/* ]] && continue 2
    done
    kept+=("$dir")
  done < <(printf '%s\n' "$@" | sort -u)
  printf '%s\n' "${kept[@]}"
}

cwd=$(pwd -P)
IFS=: read -ra extra_writable <<<"${ISOTEST_VM_RW:-}"
user_trees=()
for dir in "$cwd" "${extra_writable[@]}"; do
  [[ -z $dir ]] && continue
  if [[ ! -d $dir ]]; then
    say "ISOTEST_VM_RW: $dir is not a directory; skipped"
    continue
  fi
  dir=$(cd "$dir" && pwd -P)
  check_overlay_path "$dir" || continue
  case " ${default_writable[*]} " in *" $dir "*) continue ;; esac
  user_trees+=("$dir")
done
searchable=()
if [[ $as_user -eq 1 ]]; then
  mapfile -t searchable < <(for dir in "$cwd" "${user_trees[@]}"; do unsearchable_ancestors "$dir"; done | sort -u)
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/isotest-vm.XXXXXX")
qemu_pid=
# shellcheck disable=SC2317  # called by the trap
cleanup() {
  [[ -n $qemu_pid ]] && kill -TERM "$qemu_pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
out=$work/out
mkdir -m 755 "$out"
cp "$here/guest/mount-root.sh" "$here/guest/pid1.sh" "$out/"
overlays=("${user_trees[@]}" "${searchable[@]}")
for dir in "${default_writable[@]}"; do [[ -d $dir ]] && overlays+=("$dir"); done
outermost "${overlays[@]}" >"$out/overlays"
printf '%s\n' "${user_trees[@]}" | sed '/^$/d' >"$out/user-owned"
printf '%s\n' "${searchable[@]}" | sed '/^$/d' >"$out/user-searchable"
echo "as_user=$as_user" >"$out/config"
{
  echo "cd -- $(quote "$cwd") || { echo \"isotest-vm: \$(id -un) cannot enter the working directory\" >&2; exit $status_vm_failed; }"
  for name in $(compgen -e); do
    [[ $name == @(ISOTEST_|GTEST_)* ]] && echo "export $name=$(quote "${!name}")"
  done
  printf 'exec'
  for arg in "$@"; do printf ' %s' "$(quote "$arg")"; done
  echo
} >"$out/cmd"
chmod 644 "$out"/*

# --- the VM ---------------------------------------------------------------------------------

# Strips the firmware's terminal resets and the serial line's carriage returns, and notes when
# the command starts and ends.
stream_console() {
  local line
  while IFS= read -r line || [[ -n $line ]]; do
    line=${line//$'\r'/}
    line=${line//$'\e'c/}
    line=${line//$'\e'\[*([0-9;?])[A-Za-z]/}
    case $line in
      *"$start_marker"*) echo "$EPOCHREALTIME" >"$work/started" ;;
      *"$end_marker"*) echo "$EPOCHREALTIME" >"$work/ended" ;;
    esac
    printf '%s\n' "$line"
  done
}

# Seconds, to a tenth, between two $EPOCHREALTIME readings.
elapsed() {
  local us=$((${2/./} - ${1/./}))
  printf '%d.%d' $((us / 1000000)) $((us % 1000000 / 100000))
}

# no_timer_check: the kernel checks at boot that the IO-APIC delivers timer interrupts within a
# few ticks; an emulated CPU on a loaded host can miss that window, and the kernel then panics
# ("IO-APIC + timer doesn't work!", seen at load ~12). QEMU's timer works; skip the check.
kernel_args="console=ttyS0 panic=-1 no_timer_check"
[[ $verbose -eq 1 ]] || kernel_args+=" quiet"
# shellcheck disable=SC2054  # commas separate QEMU's suboptions
qemu=(
  qemu-system-x86_64 -machine pc,accel=tcg -cpu max -smp 2 -m 2G
  -nodefaults -no-user-config -display none -serial stdio -no-reboot
  -kernel "$kernel" -initrd "$initrd" -append "$kernel_args"
  -device isa-debug-exit,iobase=0xf4,iosize=0x01
  -virtfs local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap
  -virtfs "local,path=${out//,/,,},mount_tag=out,security_model=none"
)

mkfifo "$work/console"
stream_console <"$work/console" &
console_pid=$!
began=$EPOCHREALTIME
timeout -k 10 "$timeout_s" "${qemu[@]}" </dev/null >"$work/console" &
qemu_pid=$!
interrupted=0
# shellcheck disable=SC2317  # called by the traps
stop_vm() {
  interrupted=$1
  kill -TERM "$qemu_pid" 2>/dev/null
}
trap 'stop_vm 129' HUP
trap 'stop_vm 130' INT
trap 'stop_vm 143' TERM
qemu_status=0
wait "$qemu_pid" || qemu_status=$?
# A trapped signal ends `wait` early; wait for QEMU itself.
while kill -0 "$qemu_pid" 2>/dev/null; do wait "$qemu_pid" || qemu_status=$?; done
qemu_pid=
wait "$console_pid" || true
finished=$EPOCHREALTIME

timing="total $(elapsed "$began" "$finished") s"
if [[ -f $work/started ]]; then
  timing="boot $(elapsed "$began" "$(<"$work/started")") s, $timing"
  [[ -f $work/ended ]] && timing="${timing/, /, command $(elapsed "$(<"$work/started")" "$(<"$work/ended")") s, }"
fi
say "$timing"

if [[ $interrupted -ne 0 ]]; then
  say "interrupted; the VM was stopped"
  exit "$interrupted"
fi
if [[ $qemu_status -eq $status_timeout ]]; then
  say "TIMED OUT: the VM ran longer than $timeout_s s and was stopped (--timeout)"
  exit $status_timeout
fi
if [[ ! -f $out/rc ]]; then
  say "the VM stopped (qemu exit status $qemu_status) before the command reported a status"
  exit $status_vm_failed
fi
exit "$(<"$out/rc")"
