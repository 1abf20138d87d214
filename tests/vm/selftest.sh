#!/bin/sh
# Checks that the VM from run-in-vm.sh gives the cgroup tests what they rely on: a pure
# cgroup v2 hierarchy, a non-root cgroup with memory, pids and cpu, limits that the kernel
# enforces, and user namespaces.
#
# usage: selftest.sh    on the host: boots the VM twice, as root and --as-user, and runs the
#                       checks in both; exits nonzero if either fails (77: no QEMU).
#        In the VM (ISOTEST_IN_VM=1) it runs the checks as whoever it is.
set -u

if [ -z "${ISOTEST_IN_VM:-}" ]; then
  here=$(cd "$(dirname "$0")" && pwd -P)
  # The working directory becomes writable, and nobody's with --as-user: keep it small.
  cd "$here" || exit 1
  "$here/prepare.sh" --quiet || exit $?
  status=0
  for mode in "" --as-user; do
    # shellcheck disable=SC2086  # $mode is an optional flag
    "$here/run-in-vm.sh" $mode -- "$here/selftest.sh" || status=1
  done
  if [ $status -eq 0 ]; then echo "selftest: 2 passed, 0 failed"; else echo "selftest: FAILED"; fi
  exit $status
fi

failures=0
cg=/sys/fs/cgroup
started=$(cut -d' ' -f1 /proc/uptime)

check() {
  description=$1
  shift
  if "$@"; then
    echo "PASS: $description"
  else
    echo "FAIL: $description"
    failures=$((failures + 1))
  fi
}

# What run-in-vm.sh promises: a leaf like a systemd service for root, a delegated session
# scope for the user.
case $(id -u) in
  0) expected=/ci.slice/runner ;;
  65534) expected=/user.slice/user-65534.slice/session.scope ;;
  *) expected="(unknown for uid $(id -u))" ;;
esac
own=$(sed -n 's/^0:://p' /proc/self/cgroup)
base=$cg$own
echo "== uid $(id -u), kernel $(uname -r), cgroup $own"

check "/sys/fs/cgroup is cgroup2" [ "$(stat -fc %T $cg)" = cgroup2fs ]
check "no v1 hierarchies (one line in /proc/self/cgroup)" [ "$(wc -l </proc/self/cgroup)" = 1 ]
check "runs in $expected" [ "$own" = "$expected" ]
for controller in memory pids cpu; do
  check "$controller is enabled in the parent's cgroup.subtree_control" \
    grep -qw $controller "$(dirname "$base")/cgroup.subtree_control"
done

# cgroup v2 forbids processes in a cgroup that distributes controllers (no internal
# processes), so this shell moves into a leaf before enabling them for its children.
mkdir "$base/selftest" "$base/hog" "$base/forks"
check "can create child cgroups below $own" [ -d "$base/hog" ]
echo $$ >"$base/selftest/cgroup.procs"
check "moves itself into a leaf" grep -qx "0::$own/selftest" /proc/self/cgroup
echo "+memory +pids +cpu" >"$base/cgroup.subtree_control"
check "enables memory pids cpu for its children" \
  [ "$(cat "$base/hog/cgroup.controllers")" = "cpu memory pids" ]

echo 50M >"$base/hog/memory.max"
echo 0 >"$base/hog/memory.swap.max" 2>/dev/null
check "sets memory.max" [ "$(cat "$base/hog/memory.max")" = 52428800 ]
# dd's 300 MB buffer fills from /dev/zero in one read(), the quickest hog under emulation
# (head -c 300M /dev/zero | tail takes 5x longer); the shell's "Killed" goes to /dev/null.
{ sh -c 'echo $$ >"$1/cgroup.procs" && exec dd if=/dev/zero of=/dev/null bs=300M count=1' \
  hog "$base/hog"; } 2>/dev/null
hog_status=$?
check "a 300 MB hog under memory.max=50M is SIGKILLed (exit 137, got $hog_status)" [ $hog_status = 137 ]
oom_kills=$(sed -n 's/^oom_kill //p' "$base/hog/memory.events")
check "memory.events counts the OOM kill (oom_kill $oom_kills)" [ "${oom_kills:-0}" -ge 1 ]
echo "50000 100000" >"$base/hog/cpu.max"
check "sets cpu.max" [ "$(cat "$base/hog/cpu.max")" = "50000 100000" ]

echo 5 >"$base/forks/pids.max"
sh -c 'echo $$ >"$1/cgroup.procs"; for i in 1 2 3 4 5 6 7 8; do sleep 1 & done; wait' forks \
  "$base/forks" 2>/dev/null
check "pids.max=5 refuses forks (pids.events: $(cat "$base/forks/pids.events"))" \
  grep -q '^max [1-9]' "$base/forks/pids.events"

mkdir "$base/doomed"
sh -c 'echo $$ >"$1/cgroup.procs"; exec sleep 60' sleeper "$base/doomed" &
sleeper=$!
# Under emulation the shell takes a while to start and join: kill once it is there.
tries=0
while ! grep -qx $sleeper "$base/doomed/cgroup.procs" && [ $tries -lt 100 ]; do
  sleep 0.1
  tries=$((tries + 1))
done
echo 1 >"$base/doomed/cgroup.kill"
{ wait $sleeper; } 2>/dev/null
check "cgroup.kill kills the cgroup's processes" [ $? = 137 ]

if [ "$(id -u)" != 0 ]; then
  # Delegation hands over the subtree, not the limits set on it from above.
  check "cannot raise its own memory.max" sh -c "! echo max 2>/dev/null >'$base/memory.max'"
fi

check "user namespaces: unshare -Ur true" unshare -Ur true
check "a cgroup namespace sees its cgroup as the root" \
  [ "$(unshare -Ur --cgroup cat /proc/self/cgroup)" = "0::/" ]

rmdir "$base/hog" "$base/forks" "$base/doomed"
echo "-memory -pids -cpu" >"$base/cgroup.subtree_control"
echo $$ >"$base/cgroup.procs"
rmdir "$base/selftest"
check "leaves no cgroup behind" [ -z "$(find "$base" -mindepth 1 -type d)" ]

echo "== $failures failed, in $(awk -v a="$started" -v b="$(cut -d' ' -f1 /proc/uptime)" 'BEGIN { printf "%.1f", b - a }') s"
[ $failures -eq 0 ]
