#!/usr/bin/env bash
# The whole test suite, as CI runs it (.ci/run calls this script):
#   1. installs missing Debian packages (scripts/install-deps.sh --test)
#   2. checks formatting (clang-format 14)
#   3. builds with warnings as errors (gcc) and runs every test (unit + golden)
#   4. builds again with clang, AddressSanitizer + UndefinedBehaviorSanitizer, and runs every
#      test; the same build has the libFuzzer targets, each run briefly on its seed corpus
#   5. runs the benchmarks once, so that they keep working
#   6. the oracle: the real llama.cpp (npm node-llama-cpp) against vramplan, on step 3's build;
#      it is mostly one core's work, so it runs in the background from step 5 on. An oracle that
#      cannot run (no Node.js, no npm packages) fails the suite: skipping it would let CI pass
#      on a machine that never checked the estimator against llama.cpp.
# Environment: VRAMPLAN_FUZZ_SECONDS (default 10 per target, 0 skips fuzzing),
#              VRAMPLAN_JOBS (default: the number of cores),
#              VRAMPLAN_ALLOW_ORACLE_SKIP=1 (accept an oracle that cannot run, for a machine
#              without the npm registry; never set in CI).
set -euo pipefail
cd "$(dirname "$0")/.."

jobs=${VRAMPLAN_JOBS:-$(nproc)}
fuzz_seconds=${VRAMPLAN_FUZZ_SECONDS:-10}
step() { printf '\n== %s (%s)\n' "$*" "$(date +%T)"; }
oracle_pid=""
corpus=""
cleanup() {
    [[ -z "$oracle_pid" ]] || kill "$oracle_pid" 2>/dev/null || true
    [[ -z "$corpus" ]] || rm -rf "$corpus"
}
trap cleanup EXIT

step "dependencies"
allow_oracle_skip=${VRAMPLAN_ALLOW_ORACLE_SKIP:-0}
./scripts/install-deps.sh --test  # clang, docker-compose, Node.js and npm too
# node-llama-cpp for the oracle tests (and Node.js 20 where the system's is older).
if ! ./scripts/install-oracle.sh; then
    if [[ "$allow_oracle_skip" != 1 ]]; then
        echo "run-tests: the oracle's packages could not be installed" \
            "(VRAMPLAN_ALLOW_ORACLE_SKIP=1 runs the rest without the oracle)" >&2
        exit 1
    fi
    echo "run-tests: the oracle's packages could not be installed; the oracle will be skipped" \
        "(VRAMPLAN_ALLOW_ORACLE_SKIP=1)" >&2
fi

step "format (clang-format $(clang-format --version | grep -o '[0-9]*\.[0-9.]*' | head -1))"
git ls-files '*.cpp' '*.hpp' | xargs clang-format --dry-run --Werror

step "build (warnings are errors)"
# Optimized without debug information: these binaries run the tests, the oracle and the
# benchmarks; nobody debugs them (the sanitizer build keeps line tables for its reports).
cmake -S . -B build/ci -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_FLAGS_RELEASE="-O2 -DNDEBUG" \
    -DVRAMPLAN_WERROR=ON >/dev/null
cmake --build build/ci -j "$jobs"

# One clang build serves the sanitizer run and the fuzz targets: the library is compiled once
# with ASan + UBSan and libFuzzer's coverage hooks (fuzzer-no-link), which plain test programs
# link without libFuzzer. clang's warnings are errors here too: a second compiler's view.
step "sanitizer build (clang, ASan + UBSan; the libFuzzer targets too)"
fuzz_flag=OFF
[[ "$fuzz_seconds" != 0 ]] && fuzz_flag=ON
CC=clang CXX=clang++ cmake -S . -B build/asan -DCMAKE_BUILD_TYPE=Debug \
    -DCMAKE_CXX_FLAGS_DEBUG="-O0 -gline-tables-only" -DVRAMPLAN_WERROR=ON \
    -DVRAMPLAN_SANITIZE=ON -DVRAMPLAN_FUZZ="$fuzz_flag" -DVRAMPLAN_BENCH=OFF \
    -DCMAKE_CXX_FLAGS="-fsanitize=fuzzer-no-link" >/dev/null
cmake --build build/asan -j "$jobs"

oracle_log=$(mktemp)
# The oracle's ctest command, run directly: a second ctest in build/ci would share its logs.
(rc=0; tests/oracle/run.sh "$PWD/build/ci/vramplan" "$PWD/build/ci/tests/vramplan_oracle_check" \
    "$PWD/build/ci/tests/oracle" >"$oracle_log" 2>&1 || rc=$?; echo "$rc" >"$oracle_log.rc") &
oracle_pid=$!

step "benchmark (smoke run; figures are informative, not checked)"
build/ci/bench/vramplan_bench_gguf 5
build/ci/bench/vramplan_bench_estimate 5
build/ci/bench/vramplan_bench_solve 2

if [[ "$fuzz_seconds" != 0 ]]; then
    step "fuzzing ${fuzz_seconds}s per target"
    corpus=$(mktemp -d)
    mkdir -p "$corpus/gguf" "$corpus/catalog" "$corpus/gpu" "$corpus/args" "$corpus/plan" \
        "$corpus/compose_text" "$corpus/compose_yaml" "$corpus/llama_log" "$corpus/smi_csv" \
        "$corpus/emitted_values" "$corpus/plan_json"
    cp tests/fuzz/corpus/gguf/* tests/data/gguf/bad/*.gguf "$corpus/gguf/"
    cp models/*.yaml "$corpus/catalog/"
    cp profiles/gpus/*.yaml "$corpus/gpu/"
    cp tests/fuzz/corpus/server_args/* "$corpus/args/"
    # Several of these share a file name: keep each, named by its path.
    for f in profiles/scenarios/*.yaml profiles/deployments/*.yaml profiles/hosts/*.yaml \
        tests/golden/*/plan.yaml tests/golden/*/scenarios.yaml; do
        cp "$f" "$corpus/plan/${f//\//_}"
    done
    for f in examples/p2/*.env examples/p2/.env tests/compose_diff/cases/*/.env \
        tests/golden/*check*/*.env tests/fuzz/corpus/compose_text/*; do
        cp "$f" "$corpus/compose_text/${f//\//_}"
    done
    for f in examples/p2/*.yml tests/compose_diff/cases/*/compose.yml \
        tests/golden/*check*/compose.yml tests/golden/solve-p2-compose/stdout; do
        cp "$f" "$corpus/compose_yaml/${f//\//_}"
    done
    cp tests/data/real-logs/* "$corpus/llama_log/"
    # fuzz_smi_csv: the first byte picks the reader ('0': --query-gpu, '1': compute apps).
    for f in tests/golden/*/gpus.csv; do
        { printf '0'; cat "$f"; } >"$corpus/smi_csv/gpus_${f//\//_}"
    done
    for f in tests/golden/*/apps.csv; do
        { printf '1'; cat "$f"; } >"$corpus/smi_csv/apps_${f//\//_}"
    done
    cp tests/fuzz/corpus/emitted_values/* "$corpus/emitted_values/"
    cp tests/golden/solve-p2-json/stdout "$corpus/plan_json/solve-p2.json"
    for target in gguf:gguf catalog_yaml:catalog gpu_yaml:gpu server_args:args \
        plan_yaml:plan compose_text:compose_text compose_yaml:compose_yaml llama_log:llama_log \
        smi_csv:smi_csv emitted_values:emitted_values plan_json:plan_json; do
        name=${target%%:*}
        dir=${target##*:}
        # Crash reproducers land in build/asan/ (artifact_prefix) for a new bad/ corpus file.
        build/asan/tests/fuzz_"$name" -max_total_time="$fuzz_seconds" -rss_limit_mb=2048 \
            -max_len=8192 -timeout=10 -artifact_prefix=build/asan/ -print_final_stats=0 \
            "$corpus/$dir" 2>&1 | tail -n 1
    done
fi

step "tests under ASan + UBSan (the oracle runs once, in the next step)"
(cd build/asan && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
    ctest -j "$jobs" --output-on-failure -LE oracle)

step "tests"
(cd build/ci && ctest -j "$jobs" --output-on-failure -LE oracle)

step "the oracle (started in the background after the builds)"
wait "$oracle_pid" || true
oracle_pid=""
cat "$oracle_log"
oracle_rc=$(cat "$oracle_log.rc")
rm -f "$oracle_log" "$oracle_log.rc"
case "$oracle_rc" in
0) echo "oracle: passed" ;;
77)
    if [[ "$allow_oracle_skip" != 1 ]]; then
        echo "oracle: FAILED: it could not run (no Node.js >= 20 or no node-llama-cpp;" \
            "scripts/install-oracle.sh installs them, VRAMPLAN_ALLOW_ORACLE_SKIP=1 accepts this)"
        exit 1
    fi
    echo "oracle: skipped (VRAMPLAN_ALLOW_ORACLE_SKIP=1)"
    ;;
*) echo "oracle: FAILED ($oracle_rc)" && exit 1 ;;
esac
