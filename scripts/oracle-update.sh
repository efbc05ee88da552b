#!/usr/bin/env bash
# Re-measures the oracle against the pinned llama.cpp and regenerates docs/accuracy.md.
#   scripts/oracle-update.sh            re-run with the pinned node-llama-cpp
#   scripts/oracle-update.sh 3.23.0     pin another node-llama-cpp release first
# Then review `git diff` (tests/oracle/package*.json, tests/data/oracle-results.json,
# docs/accuracy.md) like code: a changed figure means llama.cpp changed its allocations.
set -euo pipefail
cd "$(dirname "$0")/.."
if [[ $# -ge 1 ]]; then
    (cd tests/oracle && NODE_LLAMA_CPP_SKIP_DOWNLOAD=true npm install --omit=optional \
        --ignore-scripts --no-audit --no-fund --save-exact \
        "node-llama-cpp@$1" "@node-llama-cpp/linux-x64@$1" >/dev/null)
fi
./scripts/install-oracle.sh
source tests/oracle/node-env.sh  # the Node.js the oracle runs on, for the `node -e` below
cmake -S . -B build/ci -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build/ci -j "$(nproc)" --target vramplan vramplan_oracle_check vramplan_accuracy
work=build/ci/oracle-update
tests/oracle/run.sh build/ci/vramplan build/ci/tests/vramplan_oracle_check "$work" ||
    true # record the results even when some cases differ
# Keep the recorded file free of local paths.
node -e '
const fs = require("fs");
const r = JSON.parse(fs.readFileSync(process.argv[1], "utf8"));
for (const c of r.cases) c.gguf = require("path").basename(c.gguf);
fs.writeFileSync(process.argv[2], JSON.stringify(r, null, 1) + "\n");
' "$work/results.json" tests/data/oracle-results.json
build/ci/tests/vramplan_accuracy . > docs/accuracy.md
git --no-pager diff --stat -- tests/oracle tests/data/oracle-results.json docs/accuracy.md
