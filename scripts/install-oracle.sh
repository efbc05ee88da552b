#!/usr/bin/env bash
# Installs the oracle's pinned npm packages (node-llama-cpp and its prebuilt CPU binary, no
# GPU variants, no install scripts, nothing downloaded at run time) as tests/oracle's lock pins,
# and, where the system's Node.js is older than node-llama-cpp needs (Debian bookworm's 18), the
# Node.js 20 binary that tests/oracle/runtime pins. Everything comes from the npm registry.
# Needs npm (scripts/install-deps.sh --test installs Debian's); fails without it, since the test
# suite fails when the oracle cannot run. Safe to run twice: quiet when all is installed.
set -euo pipefail
cd "$(dirname "$0")/../tests/oracle"
if ! command -v npm >/dev/null 2>&1; then
    echo "install-oracle: npm is missing; run scripts/install-deps.sh --test" >&2
    exit 1
fi
# npm runs on the system's Node.js, not on the pinned one: Debian's trusts the system's
# certificate store (a proxy's CA included), the official binary only the CAs built into it.
npm_cmd=(env PATH="$PATH" npm --ignore-scripts --no-audit --no-fund --loglevel=error)
# shellcheck source=../tests/oracle/node-env.sh
source ./node-env.sh

# Once installed, the pinned Node.js is kept in step with its lock.
if { [[ -d runtime/node_modules ]] || [[ $(oracle_node_major) -lt $oracle_node_min ]]; } &&
    ! cmp -s runtime/package-lock.json runtime/node_modules/.vramplan-lock 2>/dev/null; then
    echo "install-oracle: node-llama-cpp needs Node.js >= $oracle_node_min, the system has" \
        "$(node --version 2>/dev/null || echo none); installing tests/oracle/runtime's pinned one" >&2
    # npm ci: exactly the lock (one package, its integrity checked), node_modules made anew.
    (cd runtime && "${npm_cmd[@]}" ci >/dev/null)
    cp runtime/package-lock.json runtime/node_modules/.vramplan-lock
    source ./node-env.sh
fi

if [[ -d node_modules/node-llama-cpp ]] && cmp -s package-lock.json node_modules/.vramplan-lock 2>/dev/null; then
    exit 0
fi
# `npm install` with the committed lock and exact pins (npm ci rejects a lock without the other
# platforms' optional binaries, which the registry does not resolve for this one).
NODE_LLAMA_CPP_SKIP_DOWNLOAD=true "${npm_cmd[@]}" install --omit=optional
cp package-lock.json node_modules/.vramplan-lock
