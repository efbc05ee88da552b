#!/usr/bin/env bash
# Installs the Debian bookworm packages vramplan builds and tests with. Safe to run twice:
# packages already present are skipped, and apt is only called when something is missing.
set -euo pipefail

packages=(cmake g++ make pkg-config libcli11-dev nlohmann-json3-dev libyaml-cpp-dev libfmt-dev catch2
    libcpp-httplib-dev)
# clang builds the libFuzzer targets; optional for users, installed for the test suite.
if [[ "${1:-}" == "--test" ]]; then
    # docker-compose (1.29, Python): `docker-compose config` for the differential test of
    # vramplan check's interpolation; it needs no Docker engine.
    packages+=(clang clang-format git docker-compose)
fi

missing=()
for p in "${packages[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
        missing+=("$p")
    fi
done
if [[ ${#missing[@]} -eq 0 ]]; then
    exit 0
fi

echo "install-deps: installing ${missing[*]}" >&2
sudo_cmd=()
if [[ $(id -u) -ne 0 ]]; then
    sudo_cmd=(sudo)
fi
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -qq
"${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
