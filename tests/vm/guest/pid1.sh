# PID 1 of the guest once the host's / is its root: sets up cgroup v2 like systemd would,
# runs the command from run-in-vm.sh in a non-root cgroup, reports its status, powers off.
#
# Interpreted by the static busybox copied to /run/vm (the initramfs is gone; a PID 1 that
# exits panics the kernel). Reads the run's files that mount-root.sh copied to /run/vm:
# `config` (as_user), `cmd` (the command, with its cwd and passed-through environment),
# `user-owned` and `user-searchable` (--as-user); writes `rc` to the `out` share.
vm=/run/vm
B=$vm/busybox
out=$vm/out
cg=/sys/fs/cgroup
controllers="+memory +pids +cpu"
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

finish() {
  echo "$1" >$out/rc
  $B sync
  # isa-debug-exit: QEMU exits at once (with status (byte << 1) | 1; the host reads out/rc).
  $B printf '\0' | $B dd of=/dev/port bs=1 seek=244 count=1 2>/dev/null
  $B poweroff -f
}

fail() {
  echo "isotest-vm: $*"
  finish 125
}

as_user=0
# shellcheck source=/dev/null
. $vm/config

$B hostname isotest-vm
$B mkdir -p /dev/pts /dev/shm
$B mount -t devpts -o newinstance,ptmxmode=666 devpts /dev/pts
$B mount -t tmpfs -o mode=1777 tmpfs /dev/shm
# The options systemd mounts cgroup2 with.
$B mount -t cgroup2 -o nosuid,nodev,noexec,nsdelegate,memory_recursiveprot cgroup2 $cg ||
  fail "cannot mount cgroup2 on $cg"

enable_controllers() {
  echo "$controllers" >"$1/cgroup.subtree_control" || fail "cannot enable $controllers in $1"
}

# The command must not run in the root cgroup, which is exempt from the rules every other
# cgroup follows; like a systemd service it gets a leaf below a slice. cgroup v2 allows no
# processes in a cgroup that distributes controllers, so PID 1 stays in the root and only the
# command's subshell joins the leaf.
enable_controllers $cg
if [ "$as_user" = 1 ]; then
  # systemd's delegation to a user: the delegatee owns the directory and the files that
  # create, populate and distribute (cgroup.procs, cgroup.threads, cgroup.subtree_control),
  # but not the interface files that set its own limits, which belong to the parent
  # (Documentation/admin-guide/cgroup-v2.rst, "Model of Delegation").
  leaf=$cg/user.slice/user-65534.slice/session.scope
  $B mkdir -p $leaf || fail "cannot create $leaf"
  enable_controllers $cg/user.slice
  enable_controllers $cg/user.slice/user-65534.slice
  $B chown 65534:65534 $leaf $leaf/cgroup.procs $leaf/cgroup.threads $leaf/cgroup.subtree_control ||
    fail "cannot delegate $leaf to uid 65534"
  user=nobody home=/home/nobody
  $B mkdir -p $home && $B chown 65534:65534 $home
  # What the user is to write (its build tree) becomes its own; metacopy=on on the overlays
  # makes this copy up metadata only.
  while IFS= read -r dir; do
    $B chown -R 65534:65534 "$dir" || fail "cannot give $dir to uid 65534"
  done <$vm/user-owned
  while IFS= read -r dir; do
    $B chmod o+x "$dir" || fail "cannot make $dir searchable for uid 65534"
  done <$vm/user-searchable
  # The host's setpriv (util-linux), by path: busybox's env would run its own applet.
  setpriv=$($B which setpriv) || fail "--as-user needs setpriv (util-linux) on the host"
  run_as="$setpriv --reuid=65534 --regid=65534 --clear-groups"
else
  leaf=$cg/ci.slice/runner
  $B mkdir -p $leaf || fail "cannot create $leaf"
  enable_controllers $cg/ci.slice
  user=root home=/root run_as=
fi

echo "isotest-vm: ======== command start" \
  "(as $user, cgroup ${leaf#"$cg"}, uptime $($B cut -d' ' -f1 /proc/uptime)s) ========"
# shellcheck disable=SC2086  # $run_as is a command prefix, empty for root
(
  echo 0 >$leaf/cgroup.procs || exit 125
  exec $B env -i PATH="$PATH" HOME=$home USER=$user LOGNAME=$user TERM=dumb LANG=C.UTF-8 \
    ISOTEST_IN_VM=1 $run_as /bin/sh $vm/cmd
) </dev/null
status=$?
echo "isotest-vm: ======== command end: exit status $status ========"
finish $status
