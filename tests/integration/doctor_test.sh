#!/bin/sh
# `isotest doctor` against real broken environments, faked in namespaces of this process tree:
# a seccomp filter that refuses user namespaces (Docker's default), user.max_user_namespaces of 0
# and used up, a read-only cgroup file system, and the caller as it is (root: full isolation;
# nobody on a cgroup v1 host: no limits). Checks verdict, remedy, exit status, and that --json
# validates against docs/doctor.schema.json and says what the text says.
#
# usage: doctor_test.sh root|nobody ISOTEST REFUSE_USERNS SCHEMA VALIDATOR CHECKER
#
# `nobody` copies the programs to a directory nobody can reach and runs them as uid 65534; it
# needs root and exits 77 (skipped) without it, as does `root`.
set -eu

if [ "$#" -ne 6 ]; then
  echo "usage: $0 root|nobody ISOTEST REFUSE_USERNS SCHEMA VALIDATOR CHECKER" >&2
  exit 2
fi
mode=$1 schema=$4 validator=$5 checker=$6
if [ "$(id -u)" -ne 0 ]; then
  echo "doctor_test.sh: skipped: needs root (running as uid $(id -u))" >&2
  exit 77
fi

dir=$(mktemp -d /var/tmp/isotest-doctor.XXXXXX)
trap 'rm -rf "$dir"' EXIT INT TERM HUP
chmod 755 "$dir"
cp "$2" "$dir/isotest"
cp "$3" "$dir/refuse_userns"
chmod -R a+rX "$dir"
isotest=$dir/isotest refuse=$dir/refuse_userns
cd "$dir"

as_caller() {
  if [ "$mode" = nobody ]; then
    setpriv --reuid=65534 --regid=65534 --clear-groups "$@"
  else
    "$@"
  fi
}

failures=0
fail() {
  echo "FAILED: $*" >&2
  failures=$((failures + 1))
}

# check NAME EXIT EXPECTATION... -- COMMAND...: COMMAND ends in `isotest doctor`; runs it for
# text and with --json and checks both.
check() {
  name=$1 want=$2
  shift 2
  expectations=
  while [ "$1" != -- ]; do
    expectations="$expectations$1
"
    shift
  done
  shift
  status=0
  "$@" >"$dir/$name.txt" 2>"$dir/$name.err" || status=$?
  json_status=0
  "$@" --json >"$dir/$name.json" 2>>"$dir/$name.err" || json_status=$?
  if [ "$status" -ne "$want" ] || [ "$json_status" -ne "$want" ]; then
    fail "$name: exit $status (text) and $json_status (--json), expected $want"
    cat "$dir/$name.txt" "$dir/$name.err" >&2
    return
  fi
  DOCTOR_EXPECT=$expectations python3 "$checker" "$dir/$name.json" "$dir/$name.txt" "$status" ||
    fail "$name: output"
  python3 "$validator" "$schema" "$dir/$name.json" >&2 || fail "$name: schema"
  echo "ok: $name (exit $status)"
}

v1_memory=false
[ -d /sys/fs/cgroup/memory ] && v1_memory=true

# The network lab's disciplines: tbf wherever isotest is tested, netem as ISOTEST_EXPECT_NETEM
# says. Missing, it is info (the exit status stays what isolation makes it), and the fix is a
# module, or on a kernel that cannot load modules (the CI machine's) one built with netem.
case ${ISOTEST_EXPECT_NETEM:-} in
  present) netem=qdisc_netem=ok ;;
  absent) netem="qdisc_netem=info~modprobe sch_netem"
    [ -e /proc/modules ] || netem="qdisc_netem=info~CONFIG_NET_SCH_NETEM" ;;
  *) echo "doctor_test.sh: set ISOTEST_EXPECT_NETEM to present or absent" >&2; exit 2 ;;
esac

# The machine as it is.
if [ "$mode" = root ]; then
  check full 0 user_namespace=ok id_maps=ok mount=ok proc=ok network=ok time_namespace=ok \
    cgroup_limits=ok cgroup_placement=ok cgroup_cleanup=ok qdisc_tbf=ok "$netem" -- "$isotest" doctor
elif $v1_memory; then
  check no-delegation 1 user_namespace=ok mount=ok proc=ok network=ok qdisc_tbf=ok "$netem" \
    "cgroup_limits=degraded~run isotest as root" \
    "cgroup_delegation=degraded~cgroup v1 cannot be delegated" \
    -- setpriv --reuid=65534 --regid=65534 --clear-groups "$isotest" doctor
fi

# Where a crashing test's core goes: the host's core_pattern, named as it is, and what it means
# for isotest -- a file isotest reads the crash site from, or a pipe to a host program.
pattern=$(cat /proc/sys/kernel/core_pattern)
as_caller "$isotest" doctor >"$dir/core.txt" 2>&1 || true
case $pattern in
  '|'*) meaning="the kernel pipes cores to ${pattern#|}" ;;
  '') meaning="core_pattern is empty" ;;
  *) meaning="a plain file" ;;
esac
grep -E "^  info +core_pattern: " "$dir/core.txt" | grep -qF -- "$meaning" ||
  fail "doctor's core_pattern line does not say \`$meaning\` for core_pattern \`$pattern\`"
grep -E "^  info +core_pattern: " "$dir/core.txt" | grep -qF -- "\`$pattern\`" ||
  fail "doctor's core_pattern line does not name the pattern \`$pattern\`"

# Docker's default seccomp profile: clone/unshare with CLONE_NEWUSER refused.
check seccomp 2 "user_namespace=broken~--security-opt seccomp=unconfined" \
  "seccomp=broken~--security-opt seccomp=unconfined" \
  -- as_caller "$refuse" "$isotest" doctor
# ... and `isotest run` points there.
status=0
as_caller "$refuse" "$isotest" run -- /bin/true 2>"$dir/run.err" || status=$?
if [ "$status" -ne 125 ] || ! grep -q 'hint: .*`isotest doctor`' "$dir/run.err"; then
  fail "isotest run under the filter: exit $status, expected 125 and a hint naming isotest doctor"
  cat "$dir/run.err" >&2
fi

# user.max_user_namespaces = 0 in a user namespace of our own (the sysctl is per namespace).
check max-userns-zero 2 "user_namespace=broken~user.max_user_namespaces=15000" \
  "max_user_namespaces=broken~sudo sysctl -w user.max_user_namespaces=15000" \
  -- as_caller unshare --user --map-root-user sh -c \
  'echo 0 >/proc/sys/user/max_user_namespaces && exec "$@"' sh "$isotest" doctor

# The limit is 1 and one user namespace is held: the next is refused with ENOSPC.
check max-userns-used-up 2 "user_namespace=broken~user.max_user_namespaces=15000" \
  "max_user_namespaces=broken~user.max_user_namespaces=15000" \
  -- as_caller unshare --user --map-root-user sh -c '
    echo 1 >/proc/sys/user/max_user_namespaces || exit 99
    unshare --user sleep 30 & holder=$!
    while [ "$(readlink /proc/$holder/ns/user)" = "$(readlink /proc/self/ns/user)" ]; do
      sleep 0.01
    done
    status=0; "$@" || status=$?
    kill $holder; exit $status' sh "$isotest" doctor

# A read-only cgroup file system (as in a default Docker container), in a mount namespace.
if [ "$mode" = root ]; then ns_options="--mount"; else ns_options="--user --map-root-user --mount"; fi
# shellcheck disable=SC2086
check cgroupfs-read-only 1 "cgroup_limits=degraded~read-only" \
  "cgroup_delegation=degraded~read-only" user_namespace=ok proc=ok \
  -- as_caller unshare $ns_options sh -c '
    for target in $(findmnt -rn -t cgroup,cgroup2 -o TARGET); do
      mount -o remount,bind,ro "$target" || exit 99
    done
    exec "$@"' sh "$isotest" doctor

# The AppArmor profile names this binary and allows user namespaces.
as_caller "$isotest" doctor --apparmor-profile >"$dir/profile" || fail "--apparmor-profile: exit"
grep -q "^profile isotest $isotest flags=(unconfined) {" "$dir/profile" ||
  fail "--apparmor-profile does not name $isotest"
grep -q '^  userns,$' "$dir/profile" || fail "--apparmor-profile has no userns rule"

status=0
as_caller "$isotest" doctor --no-such-option 2>"$dir/usage.err" || status=$?
[ "$status" -eq 125 ] || fail "a bad doctor option exits $status, expected 125"

if [ "$failures" -ne 0 ]; then
  echo "$failures doctor check(s) failed" >&2
  exit 1
fi
echo "all doctor checks passed ($mode)"
