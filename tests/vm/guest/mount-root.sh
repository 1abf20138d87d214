# Builds the guest's root file system, then hands over to pid1.sh on it.
# Run by the initramfs busybox sh as PID 1; run-in-vm.sh's files are in the `out` share at /out.
#
# The root is the host's / over virtio-9p, read-only. cache=loose lets the guest keep pages
# and dentries; that is safe only because the host tree does not change during a run, and
# makes exec about 1.7x faster than cache=none. Writable directories (/out/overlays, one per
# line) become overlays: the read-only 9p directory as the lower layer, so host files stay
# visible, and a tmpfs as the upper one. metacopy=on makes a chown or chmod copy up only the
# metadata, not the data.
root=/newroot
vm=$root/run/vm

fail() {
  echo "isotest-vm: $*"
  poweroff -f
}

mount -t 9p -o trans=virtio,version=9p2000.L,ro,cache=loose,msize=512000 hostroot $root ||
  fail "cannot mount the host's / (9p share 'hostroot')"
# A fresh /run, as on a booted system, also holds what PID 1 needs once the initramfs is gone.
mount -t tmpfs -o mode=755 tmpfs $root/run || fail "cannot mount tmpfs on /run"
mkdir -p $vm/out $vm/overlay
# PID 1 and the command read these from RAM, not over 9p (see init).
cp /bin/busybox /out/pid1.sh /out/config /out/cmd /out/user-owned /out/user-searchable $vm/ ||
  fail "cannot copy the run's files to /run/vm"
mount -t tmpfs -o mode=700 tmpfs $vm/overlay || fail "cannot mount tmpfs for the overlays"

n=0
while IFS= read -r dir; do
  n=$((n + 1))
  layer=$vm/overlay/$n
  mkdir -p $layer/upper $layer/work
  # An overlay's root takes its mode and owner from the upper layer: give it the host's
  # (/tmp must stay 1777).
  # shellcheck disable=SC2046  # split into mode, uid and gid
  set -- $(stat -c '%a %u %g' "$root$dir")
  { chmod "$1" $layer/upper && chown "$2:$3" $layer/upper; } || fail "cannot mirror the mode of $dir"
  mount -t overlay -o "lowerdir=$root$dir,upperdir=$layer/upper,workdir=$layer/work,metacopy=on" \
    overlay "$root$dir" && continue
  # QEMU run by a user cannot read, say, /root; an empty directory is the next best thing.
  echo "isotest-vm: no overlay on $dir (unreadable for QEMU?); it is an empty tmpfs in the VM"
  mount -t tmpfs -o "mode=$1,uid=$2,gid=$3" tmpfs "$root$dir" || fail "cannot make $dir writable"
done </out/overlays

mount --move /dev $root/dev
mount --move /proc $root/proc
mount --move /sys $root/sys
mount --move /out $vm/out
# switch_root, not chroot: in a chroot the root is not the mount namespace's root, and the
# kernel then refuses unshare(CLONE_NEWUSER) with EPERM.
exec switch_root $root /run/vm/busybox sh /run/vm/pid1.sh
