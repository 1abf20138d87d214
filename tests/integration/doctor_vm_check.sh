#!/bin/sh
# Runs inside the cgroup v2 VM (tests/vm/run-in-vm.sh), as root in a leaf cgroup or as nobody in
# a delegated subtree: there `isotest doctor` must find full isolation (exit 0), with limits,
# a child started by clone3(CLONE_INTO_CGROUP), the caller's cgroup delegated, and the network
# lab's queueing disciplines (the VM's initramfs loads sch_netem and sch_tbf).
#
# usage: doctor_vm_check.sh ISOTEST CHECKER
set -eu
isotest=$1 checker=$2
out=$(mktemp -d /tmp/isotest-doctor-vm.XXXXXX)
trap 'rm -rf "$out"' EXIT
status=0
"$isotest" doctor >"$out/doctor.txt" || status=$?
json_status=0
"$isotest" doctor --json >"$out/doctor.json" || json_status=$?
cat "$out/doctor.txt"
if [ "$status" -ne 0 ] || [ "$json_status" -ne 0 ]; then
  echo "FAILED: isotest doctor exited $status (text) and $json_status (--json), expected 0" >&2
  exit 1
fi
DOCTOR_EXPECT='cgroup_version=info
cgroup_limits=ok
cgroup_placement=ok
cgroup_cleanup=ok
cgroup_delegation=ok
cgroup_controllers=ok
user_namespace=ok
proc=ok
qdisc_netem=ok
qdisc_tbf=ok' python3 "$checker" "$out/doctor.json" "$out/doctor.txt" 0
grep -q 'clone3 with CLONE_INTO_CGROUP' "$out/doctor.txt" || {
  echo "FAILED: the sandbox was not started with CLONE_INTO_CGROUP" >&2
  exit 1
}
echo "doctor on cgroup v2: full isolation"
