#!/usr/bin/env bash
# Installs the oracle's pinned npm packages (node-llama-cpp and its prebuilt CPU binary, no
# GPU variants, no install scripts, nothing downloaded at run time) as tests/oracle's lock pins.
set -euo pipefail
cd "$(dirname "$0")/../tests/oracle"
if ! command -v npm >/dev/null 2>&1; then
    echo "install-oracle: npm is missing; the oracle tests will be skipped" >&2
    exit 0
fi
if [[ -d node_modules/node-llama-cpp ]] && cmp -s package-lock.json node_modules/.vramplan-lock 2>/dev/null; then
    exit 0
fi
# `npm install` with the committed lock and exact pins (npm ci rejects a lock without the other
# platforms' optional binaries, which the registry does not resolve for this one).
NODE_LLAMA_CPP_SKIP_DOWNLOAD=true npm install --omit=optional --ignore-scripts --no-audit \
    --no-fund --loglevel=error
cp package-lock.json node_modules/.vramplan-lock
