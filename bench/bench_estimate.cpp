// Benchmark: one full estimate (context, weights, KV, both compute-graph reservations replayed,
// output) for catalog models of 28 to 64 layers, against a baseline in the same process: the
// weights-and-KV part alone, which is plain arithmetic. Prints medians; asserts nothing.
// Run: build/bench/vramplan_bench_estimate [iterations]

#include "bench_util.hpp"

#include <vramplan/estimate/estimate.hpp>
#include <vramplan/model/catalog.hpp>
#include <vramplan/model/synth.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <functional>
#include <vector>

using namespace vramplan;
using Clock = std::chrono::steady_clock;

namespace {

CatalogModel model(const char* name, std::uint32_t layers, std::uint32_t embd, std::uint32_t heads,
                   std::uint32_t kv, std::uint32_t ffn) {
    CatalogModel m;
    m.name = name;
    m.arch = ArchitectureParams{"qwen2", layers, embd, heads, kv, ffn, 152064};
    m.arch.n_ctx_train = 32768;
    m.arch.attention_bias = true;
    return m;
}

} // namespace

int main(int argc, char** argv) {
    const int iterations = argc > 1 ? std::max(1, std::atoi(argv[1])) : 50;
    fmt::print("vramplan bench: estimate_memory, -c 4096 -np 1, CPU-only and full offload\n");
    fmt::print("{:<24} {:>12} {:>14} {:>16}\n", "model", "estimate us", "estimate+GPU us",
               "weights+KV us");
    GpuProfile gpu;
    for (const auto& cm : {model("qwen2.5-7b (28 layers)", 28, 3584, 28, 4, 18944),
                           model("qwen2.5-14b (48 layers)", 48, 5120, 40, 8, 13824),
                           model("qwen2.5-32b (64 layers)", 64, 5120, 40, 8, 27648)}) {
        const ModelSpec m = synthesize_model(cm, FileType::q4_k_m);
        ServerSettings s;
        s.n_ctx = 4096;
        s.n_parallel = 1;
        std::uint64_t sink = 0;
        const double cpu = bench::median<std::micro>(
            iterations, [&] { sink += estimate_memory(m, s, nullptr).host_bytes(); });
        ServerSettings g = s;
        g.n_gpu_layers = 999;
        const double full = bench::median<std::micro>(
            iterations, [&] { sink += estimate_memory(m, g, &gpu).gpu_bytes(); });
        // Baseline: the arithmetic part (weights and KV), summed directly.
        const double base = bench::median<std::micro>(iterations, [&] {
            std::uint64_t bytes = 0;
            for (const auto& t : m.tensors) {
                bytes += t.bytes;
            }
            for (std::uint32_t il = 0; il < m.n_layer; ++il) {
                bytes += 4096ULL * m.n_embd_k_gqa(il) * 2 * 2;
            }
            sink += bytes;
        });
        fmt::print("{:<24} {:>12.0f} {:>14.0f} {:>16.1f}   ({:.0f}x the arithmetic alone)\n",
                   cm.name, cpu, full, base, cpu / std::max(base, 0.001));
        if (sink == 0) {
            return 1;
        }
    }
    return 0;
}
