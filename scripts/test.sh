#!/usr/bin/env bash
# The README's test command: installs dependencies, then builds and runs every test twice --
# an optimised build and an ASan+UBSan build -- as root and as user nobody (the `*.nobody`
# tests re-run the integration suite through setpriv when started as root). The cgroup v2
# tests (label vm) boot a QEMU VM with a pure cgroup v2 kernel; tests/vm/prepare.sh installs
# what that needs from Debian's packages on first use.
set -euo pipefail
cd "$(dirname "$0")/.."

./scripts/install-deps.sh
jobs=$(nproc)

echo "== release build =="
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$jobs"
(cd build && ctest --output-on-failure -j"$jobs")

echo "== sanitizer build (ASan+UBSan) =="
cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DISOTEST_SANITIZE=ON >/dev/null
cmake --build build-asan -j"$jobs"
# The VM and CMake-project tests exercise the same launcher code as the release pass; under an
# emulated CPU an ASan build would only multiply their minutes.
(cd build-asan && ctest --output-on-failure -j"$jobs" --label-exclude 'lint|vm|cmake')
