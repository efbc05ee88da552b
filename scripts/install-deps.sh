#!/usr/bin/env bash
# Installs the Debian bookworm packages vramplan builds and tests with. Safe to run twice:
# packages already present are skipped, and apt is only called when something is missing.
set -euo pipefail

packages=(cmake g++ make pkg-config libcli11-dev nlohmann-json3-dev libyaml-cpp-dev libfmt-dev catch2
    libcpp-httplib-dev)
# --test: what the test suite (scripts/run-tests.sh) needs on top; users need none of it.
if [[ "${1:-}" == "--test" ]]; then
    # clang builds the sanitizer tests and the libFuzzer targets. Its sanitizer and libFuzzer
    # runtimes are only a Recommends of clang, which --no-install-recommends leaves out.
    # docker-compose (1.29, Python): `docker-compose config` for the differential test of
    # vramplan check's interpolation; it needs no Docker engine.
    packages+=(clang libclang-rt-14-dev clang-format git docker-compose)
    # npm installs the oracle's packages (scripts/install-oracle.sh), and Node.js 20 where
    # Debian's nodejs (18) is too old for them. Asked by command, not by package: a Node.js
    # from elsewhere (NodeSource's nodejs bundles npm) is kept.
    if ! command -v npm >/dev/null 2>&1; then
        packages+=(nodejs npm)
    fi
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
