#!/usr/bin/env bash
# Installs the Debian 12 packages isotest needs to build and test. Idempotent; needs root to
# install, and only says what is missing otherwise.
set -euo pipefail

packages=(
  cmake make g++ pkg-config        # build
  nlohmann-json3-dev libcli11-dev  # JSON results, argument parsing
  libboost1.81-dev                 # Asio and Process v2: `isotest gtest` supervises its children
  libseccomp-dev                   # the default seccomp filter (docs/security.md)
  libdw-dev libelf-dev             # stacks of a test that timed out (libdwfl, linked statically)
  zlib1g-dev liblzma-dev libbz2-dev  # what the static libdw.a and libelf.a need
  libgtest-dev libgmock-dev        # unit and integration tests
  python3 python3-jsonschema       # validating results against docs/result.schema.json
  util-linux iproute2 procps       # setpriv (tests as user nobody), ip, ps
  clang-format clang-tidy          # lint tests
  chromium                         # renders `isotest report --html` in tests/report (headless)
)
case "${1:-}" in
  --bench) packages+=(hyperfine bubblewrap jq) ;;  # bench/gtest-runner.sh also uses cmake/ctest
  "") ;;
  *) echo "usage: $0 [--bench]" >&2; exit 2 ;;
esac

missing=()
for package in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$package")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
  echo "isotest: missing Debian packages: ${missing[*]}" >&2
  echo "isotest: install them with: sudo apt-get update && sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi
echo "isotest: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
