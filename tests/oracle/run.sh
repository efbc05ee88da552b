#!/usr/bin/env bash
# The oracle test (ctest label "oracle"): synthesizes the grid's models with vramplan, runs them
# through the real llama.cpp (driver.mjs) and compares every buffer with vramplan's estimate.
#   tests/oracle/run.sh VRAMPLAN ORACLE_CHECK WORK_DIR [RESULTS_OUT]
# Exits 77 (ctest: skipped) with a message when Node.js >= 20 or the oracle's packages are
# missing; scripts/run-tests.sh counts that as a failure (docs/testing.md).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
vramplan=$1 check=$2 work=$3 results_out=${4:-}
root=$(cd "$here/../.." && pwd)
# shellcheck source=node-env.sh
source "$here/node-env.sh"  # the pinned Node.js 20 first on PATH, where it was needed

if ! command -v node >/dev/null 2>&1; then
    echo "SKIPPED: Node.js is not installed; run scripts/install-deps.sh --test and" \
        "scripts/install-oracle.sh"
    exit 77
fi
if [[ $(oracle_node_major) -lt $oracle_node_min ]]; then
    echo "SKIPPED: Node.js $(node --version) is older than node-llama-cpp needs" \
        "($oracle_node_min); run scripts/install-oracle.sh"
    exit 77
fi
if [[ ! -d "$here/node_modules/node-llama-cpp" ]]; then
    echo "SKIPPED: the oracle's npm packages are missing; run scripts/install-oracle.sh"
    exit 77
fi

mkdir -p "$work/models"
export VRAMPLAN_DATA_DIR="$root"
# Build the case list: one sparse GGUF per model, the grid's settings for each.
node --input-type=module -e '
import fs from "node:fs";
const [grid, work] = process.argv.slice(1);
const g = JSON.parse(fs.readFileSync(grid, "utf8"));
const cases = [];
for (const m of g.models) {
  const gguf = `${work}/models/${m.model}-${m.quant}.gguf`;
  g.settings.forEach((s, i) => cases.push({id: `${m.model}-${m.quant}-${i}`, model: m.model, quant: m.quant, gguf, ...s}));
}
fs.writeFileSync(`${work}/cases.json`, JSON.stringify({cases}, null, 1));
for (const m of g.models) console.log(`${m.model} ${m.quant} ${work}/models/${m.model}-${m.quant}.gguf`);
' "$here/grid.json" "$work" | while read -r model quant path; do
    "$vramplan" synth "$model" --quant "$quant" --out "$path" --force 2>/dev/null
done

node "$here/driver.mjs" "$work/cases.json" "$work/results.json" 2>"$work/driver.log"
if [[ -n "$results_out" ]]; then
    cp "$work/results.json" "$results_out"
fi
"$check" "$work/results.json"
