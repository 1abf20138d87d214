#!/usr/bin/env bash
# Prepares what run-in-vm.sh boots: QEMU and a static busybox from Debian's packages, a
# Debian kernel, and a tiny initramfs. Idempotent; see --help.
set -euo pipefail

# Exit status when QEMU is missing and cannot be installed; CTest's SKIP_RETURN_CODE by habit.
readonly status_unavailable=77
# What the initramfs needs to mount the host's / over virtio-9p and put overlays on it.
readonly guest_modules=(virtio_pci 9pnet_virtio 9p overlay)
# The queueing disciplines of the network lab (--net-delay, --net-loss, ... need netem; a rate
# alone, tbf). Debian builds them as modules, and the guest cannot load a module on demand: its
# / is the host's, which has no /lib/modules for this kernel. So the initramfs carries them and
# init loads them at boot, as a module autoloaded on the first RTM_NEWQDISC would be.
readonly network_lab_modules=(sch_netem sch_tbf)

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
readonly here
cache_dir=${ISOTEST_VM_CACHE:-/var/cache/isotest-vm}
force=0
quiet=0

usage() {
  cat <<EOF
usage: prepare.sh [--cache DIR] [--force] [--quiet]

Makes the assets that run-in-vm.sh boots, once; later calls return at once.
  - installs the Debian packages qemu-system-x86, busybox-static, kmod and cpio
    (apt-get, as root; runs apt-get update first when something is missing);
  - downloads the kernel that Debian's linux-image-amd64 points at (apt-get download,
    no install, so no initramfs-tools run) and extracts vmlinuz, and vmlinux for the
    faster PVH boot when it can;
  - builds a ~2 MB initramfs: busybox, the virtio/9p/overlay modules, the network lab's
    queueing disciplines (sch_netem, sch_tbf), tests/vm/guest/init.

  --cache DIR  where the assets go (default: \$ISOTEST_VM_CACHE, else /var/cache/isotest-vm;
               now: $cache_dir)
  --force      rebuild even if the cache is up to date (also picks up a newer kernel)
  --quiet      print nothing when the cache is already up to date

Exit status: 0 ready; $status_unavailable QEMU is missing and cannot be installed (the VM tests
must be reported as skipped); 1 any other failure.
EOF
}

while [[ $# -gt 0 ]]; do
  case $1 in
    --cache) cache_dir=${2:?--cache needs a directory}; shift 2 ;;
    --force) force=1; shift ;;
    --quiet) quiet=1; shift ;;
    -h | --help) usage; exit 0 ;;
    *) echo "prepare.sh: unknown argument '$1'" >&2; usage >&2; exit 2 ;;
  esac
done

say() { echo "isotest-vm prepare: $*" >&2; }
die() { say "error: $*"; exit 1; }

shout_unavailable() {
  local line
  {
    echo "######################################################################"
    echo "#"
    for line in "$@"; do echo "#  $line"; done
    echo "#"
    echo "#  The cgroup v2 tests that boot a VM did NOT run."
    echo "#  Fix (as root): apt-get update && apt-get install qemu-system-x86"
    echo "#"
    echo "######################################################################"
  } >&2
}

exit_unavailable() {
  shout_unavailable "isotest-vm: QEMU IS NOT AVAILABLE: SKIPPING" \
    "qemu-system-x86_64 is not installed and could not be installed" \
    "(not root, no apt-get, or no network to the package registry)."
  exit "$status_unavailable"
}

# A busybox that needs no shared libraries: it runs in the initramfs and stays PID 1's shell
# after switch_root.
static_busybox() {
  local path
  path=$(command -v busybox) || return 1
  ! ldd "$path" >/dev/null 2>&1 || return 1
  echo "$path"
}

missing_packages() {
  command -v qemu-system-x86_64 >/dev/null || echo qemu-system-x86
  static_busybox >/dev/null || echo busybox-static
  { command -v modprobe && command -v depmod; } >/dev/null || echo kmod
  command -v cpio >/dev/null || echo cpio
}

install_packages() {
  local -a missing
  mapfile -t missing < <(missing_packages)
  [[ ${#missing[@]} -eq 0 ]] && return 0
  if [[ $(id -u) -ne 0 ]]; then
    say "missing Debian packages: ${missing[*]}; installing them needs root"
  elif ! command -v apt-get >/dev/null; then
    say "missing Debian packages: ${missing[*]}; no apt-get on this host"
  else
    say "installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq || say "apt-get update failed"
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null ||
      say "apt-get install ${missing[*]} failed"
  fi
  command -v qemu-system-x86_64 >/dev/null || exit_unavailable
  mapfile -t missing < <(missing_packages)
  [[ ${#missing[@]} -eq 0 ]] || die "still missing after apt-get: ${missing[*]}"
}

# What the assets are made by and from: any change to it rebuilds them.
recipe_sha256() { cat "$here/prepare.sh" "$here/guest/init" | sha256sum | cut -d' ' -f1; }

# The cache is current when its stamp names the same recipe and its files are there.
cache_is_current() {
  local stamp=$cache_dir/assets
  [[ -f $stamp ]] || return 1
  grep -qx "recipe_sha256=$(recipe_sha256)" "$stamp" || return 1
  local key file
  for key in kernel initrd; do
    file=$(sed -n "s/^$key=//p" "$stamp")
    [[ -n $file && -f $cache_dir/$file ]] || return 1
  done
  [[ -z $(missing_packages) ]]
}

# The package linux-image-amd64 depends on, e.g. linux-image-6.1.0-57-amd64.
kernel_package() {
  apt-cache depends linux-image-amd64 2>/dev/null |
    awk '!found && $1 == "Depends:" && $2 ~ /^linux-image-[0-9]/ { print $2; found = 1 }'
}

# Downloads the kernel package into $1 and prints the .deb's path. Stale apt lists name a
# version the archive may have dropped (security updates replace kernels), hence one retry
# after apt-get update.
download_kernel() {
  local dir=$1 package attempt
  # apt drops to user _apt for downloads; let it write here instead of warning.
  if [[ $(id -u) -eq 0 ]] && id _apt >/dev/null 2>&1; then chown _apt "$dir"; fi
  for attempt in 1 2; do
    if [[ $attempt -eq 2 ]]; then
      say "running apt-get update and trying again"
      apt-get update -qq || say "apt-get update failed"
    fi
    package=$(kernel_package)
    if [[ -z $package ]]; then
      say "apt-cache does not know linux-image-amd64"
      continue
    fi
    say "downloading $package"
    if (cd "$dir" && apt-get download -qq "$package"); then
      compgen -G "$dir/${package}_*.deb" && return 0
    fi
    say "apt-get download $package failed"
  done
  die "cannot download the kernel that linux-image-amd64 names"
}

# Unpacks the kernel package without installing it (no postinst, so no initramfs-tools) and
# writes the modules.dep that postinst would have made. Prints the kernel version.
extract_kernel() {
  local deb=$1 root=$2 version
  dpkg-deb -x "$deb" "$root"
  # Newer packages ship /usr/lib/modules; kmod's -b wants <base>/lib/modules.
  if [[ ! -d $root/lib/modules && -d $root/usr/lib/modules ]]; then ln -s usr/lib "$root/lib"; fi
  version=$(basename "$(compgen -G "$root/lib/modules/*" | head -n1)")
  [[ -n $version && -f $root/boot/vmlinuz-$version ]] || die "no kernel image in $deb"
  depmod -b "$root" "$version"
  echo "$version"
}

# Copies the guest modules into the initramfs, numbered in load order, decompressed (busybox
# insmod takes plain .ko files only).
copy_modules() {
  local root=$1 version=$2 into=$3 module path n=0
  mkdir -p "$into"
  for module in "${guest_modules[@]}" "${network_lab_modules[@]}"; do
    modprobe -d "$root" -S "$version" --show-depends "$module" ||
      die "modprobe cannot resolve $module for $version"
  done | awk '$1 == "insmod" && !seen[$2]++ { print $2 }' | while read -r path; do
    n=$((n + 1))
    local name
    name=$(printf '%02d-%s' "$n" "$(basename "$path")")
    case $path in
      *.ko.xz) xz -dc "$path" >"$into/${name%.xz}" ;;
      *.ko.zst) zstd -qdc "$path" >"$into/${name%.zst}" ;;
      *.ko.gz) gzip -dc "$path" >"$into/${name%.gz}" ;;
      *) cp "$path" "$into/$name" ;;
    esac
  done
}

build_initramfs() {
  local root=$1 version=$2 out=$3 tree busybox
  tree=$(dirname "$out")/initramfs-tree
  busybox=$(static_busybox) || die "no static busybox"
  mkdir -p "$tree"/{bin,dev,proc,sys,newroot,out}
  cp "$busybox" "$tree/bin/busybox"
  ln -s busybox "$tree/bin/sh" # for /init's #!; init installs the other applets
  copy_modules "$root" "$version" "$tree/modules"
  [[ -n $(compgen -G "$tree/modules/*.ko") ]] || die "no guest modules found for $version"
  install -m 755 "$here/guest/init" "$tree/init"
  (cd "$tree" && find . -print0 | cpio --null -o -H newc -R 0:0 --quiet) | gzip -1 >"$out"
  rm -rf "$tree"
}

# Debian's bzImage holds an XZ-compressed ELF vmlinux with a PVH entry note; QEMU boots that
# directly, which skips the slow decompression under TCG (about 3 s saved per boot).
extract_vmlinux() {
  local bzimage=$1 out=$2 offset
  command -v readelf >/dev/null || return 1
  # xz stops after one stream, so tail's SIGPIPE is expected: keep it out of pipefail.
  while read -r offset; do
    xz -dc --single-stream <(tail -c +$((offset + 1)) "$bzimage") >"$out" 2>/dev/null || continue
    # XEN_ELFNOTE_PHYS32_ENTRY (0x12) is the PVH entry point QEMU looks for.
    if [[ $(readelf -n "$out" 2>/dev/null) =~ Xen[^$'\n']*0x00000012 ]]; then return 0; fi
  done < <(LC_ALL=C grep -abo $'\xfd7zXZ' "$bzimage" | cut -d: -f1)
  rm -f "$out"
  return 1
}

prepare() {
  local work deb root version kernel started=$SECONDS
  work=$(mktemp -d "$cache_dir/prepare.XXXXXX")
  # shellcheck disable=SC2064  # expand now: $work is local
  trap "rm -rf '$work'" EXIT
  deb=$(download_kernel "$work")
  root=$work/root
  version=$(extract_kernel "$deb" "$root")
  say "kernel $version: building the initramfs"
  build_initramfs "$root" "$version" "$work/initramfs-$version.cpio.gz"
  cp "$root/boot/vmlinuz-$version" "$work/vmlinuz-$version"
  kernel=vmlinuz-$version
  if extract_vmlinux "$work/vmlinuz-$version" "$work/vmlinux-$version"; then
    kernel=vmlinux-$version
  else
    say "no PVH vmlinux could be extracted; booting the compressed bzImage (slower)"
  fi
  rm -rf "$root" "$deb"
  # Publish: files first, the stamp last, so a reader never sees a stamp without its files.
  find "$cache_dir" -maxdepth 1 -type f \( -name 'vmlinu[xz]-*' -o -name 'initramfs-*' \) -delete
  mv "$work"/vmlinu[xz]-* "$work/initramfs-$version.cpio.gz" "$cache_dir/"
  cat >"$work/assets" <<EOF
kernel_version=$version
kernel=$kernel
initrd=initramfs-$version.cpio.gz
recipe_sha256=$(recipe_sha256)
EOF
  mv "$work/assets" "$cache_dir/assets"
  say "ready in $((SECONDS - started)) s: $cache_dir ($kernel, $(du -sh "$cache_dir" | cut -f1))"
}

if [[ $(id -u) -ne 0 ]] && ! command -v qemu-system-x86_64 >/dev/null; then exit_unavailable; fi
mkdir -p "$cache_dir" 2>/dev/null || die "cannot create $cache_dir (set ISOTEST_VM_CACHE or --cache)"
# Concurrent callers (ctest -j) wait for one another instead of building twice. A user who
# cannot write the cache can still use it as it is.
if ! { exec {lock_fd}>>"$cache_dir/.lock"; } 2>/dev/null; then
  cache_is_current || die "$cache_dir is not ready and not writable for uid $(id -u) (run prepare.sh as root, or set ISOTEST_VM_CACHE)"
  exit 0
fi
flock "$lock_fd"

install_packages
if [[ $force -eq 0 ]] && cache_is_current; then
  [[ $quiet -eq 1 ]] || say "up to date: $cache_dir ($(sed -n 's/^kernel=//p' "$cache_dir/assets"))"
  exit 0
fi
prepare
