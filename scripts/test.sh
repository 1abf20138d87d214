#!/usr/bin/env bash
# The README's test command: installs dependencies, then builds and runs every test twice --
# an optimised build and an ASan+UBSan build -- as root and as user nobody (the `*.nobody`
# tests re-run the integration suite through setpriv when started as root). The cgroup v2
# tests (label vm) boot a QEMU VM with a pure cgroup v2 kernel; tests/vm/prepare.sh installs
# what that needs from Debian's packages on first use.
#
# The two builds live on the two kinds of path a sandbox treats differently: the release build
# below /tmp, which the sandbox replaces with an empty tmpfs (where `mktemp -d` puts every CI
# script's build), and the sanitizer build outside it (build-asan in the repository, or below
# /var/tmp when the repository itself is below /tmp). Both directories are the same from one
# run to the next, so rebuilds stay incremental.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd -P)

./scripts/install-deps.sh
jobs=$(nproc)

# One directory per checkout: two clones on one machine do not share a build tree.
checkout_id=$(printf '%s' "$repo" | sha256sum | cut -c1-12)
release_build=/tmp/isotest-release-$checkout_id
sanitizer_build=$repo/build-asan
case $repo/ in
  /tmp/*) sanitizer_build=/var/tmp/isotest-asan-$checkout_id ;;
esac

echo "== release build, below /tmp: $release_build =="
cmake -S . -B "$release_build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$release_build" -j"$jobs"
(cd "$release_build" && ctest --output-on-failure -j"$jobs")

echo "== sanitizer build (ASan+UBSan), outside /tmp: $sanitizer_build =="
cmake -S . -B "$sanitizer_build" -DCMAKE_BUILD_TYPE=Debug -DISOTEST_SANITIZE=ON >/dev/null
cmake --build "$sanitizer_build" -j"$jobs"
# The VM and CMake-project tests exercise the same launcher code as the release pass; under an
# emulated CPU an ASan build would only multiply their minutes.
(cd "$sanitizer_build" && ctest --output-on-failure -j"$jobs" --label-exclude 'lint|vm|cmake')
