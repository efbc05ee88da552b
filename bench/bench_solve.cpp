// Benchmark: `solve` for deployments of two to eight services, against a baseline in the same
// process: one estimate of the largest model. The solver costs every layer count of every service
// with the estimator and then searches exactly, so its time is about (sum of layer counts + 1 per
// service) estimates plus the search; the ratio shows that. Prints medians; asserts nothing.
// Run: build/bench/vramplan_bench_solve [iterations]

#include "bench_util.hpp"

#include <vramplan/catalog.hpp>
#include <vramplan/deployment.hpp>
#include <vramplan/services.hpp>
#include <vramplan/solver.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <cstdlib>
#include <string>
#include <vector>

using namespace vramplan;

int main(int argc, char** argv) {
    const int iterations = argc > 1 ? std::max(1, std::atoi(argv[1])) : 10;
    const std::string root = VRAMPLAN_SOURCE_DIR;
    const Catalog catalog = Catalog::load(root + "/models");
    const Deployment d = load_deployment(root, "p2");
    SolveOptions o;
    o.gpu = GpuProfiles::load(root + "/profiles/gpus").resolve("rtx4050");
    o.host_bandwidth_gb_s = 76.8;
    o.headroom_bytes = 512ULL << 20;

    struct Case {
        const char* name;
        std::vector<const char*> models;
    };
    const std::vector<Case> cases{
        {"p2: 3B + Coder 7B", {"qwen2.5-3b-instruct", "qwen2.5-coder-7b-instruct"}},
        {"4 services (3B, 7B, 7B, 1.5B)",
         {"qwen2.5-3b-instruct", "qwen2.5-7b-instruct", "qwen2.5-coder-7b-instruct",
          "qwen2.5-1.5b-instruct"}},
        {"8 services",
         {"qwen2.5-3b-instruct", "qwen2.5-7b-instruct", "qwen2.5-coder-7b-instruct",
          "qwen2.5-1.5b-instruct", "qwen2.5-0.5b-instruct", "llama-3.2-3b-instruct",
          "gemma-2-2b-it", "phi-3.5-mini-instruct"}},
    };
    fmt::print("vramplan bench: solve on an RTX 4050 (-c 1024 -b 128), medians of {}\n",
               iterations);
    fmt::print("{:<32} {:>8} {:>10} {:>16} {:>10}\n", "deployment", "options", "solve ms",
               "one estimate ms", "ratio");
    for (const auto& c : cases) {
        std::vector<ServiceRequest> services;
        std::uint32_t options = 0;
        const ServiceRequest* largest = nullptr;
        for (std::size_t i = 0; i < c.models.size(); ++i) {
            services.push_back(
                spec_service(fmt::format("s{}={}", i, c.models[i]), catalog, d, {}, 0));
            options += services.back().model.spec.n_layer + 2;
        }
        largest =
            &*std::max_element(services.begin(), services.end(), [](const auto& a, const auto& b) {
                return a.model.spec.n_layer < b.model.spec.n_layer;
            });
        std::uint64_t sink = 0;
        const double solve_ms =
            bench::median<std::milli>(iterations, [&] { sink += solve(services, o).vram_bytes; });
        ServerSettings full = largest->settings;
        full.n_gpu_layers = ServerSettings::k_layers_all;
        const double one_ms = bench::median<std::milli>(iterations, [&] {
            sink += estimate_memory(largest->model.spec, full, &o.gpu).gpu_bytes();
        });
        fmt::print("{:<32} {:>8} {:>10.1f} {:>16.2f} {:>9.0f}x\n", c.name, options, solve_ms,
                   one_ms, solve_ms / std::max(one_ms, 1e-6));
        if (sink == 0) {
            return 1;
        }
    }
    return 0;
}
