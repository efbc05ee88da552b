// Benchmark: `solve` for deployments of two to eight services, against a baseline in the same
// process: one estimate of the largest model. The solver costs every layer count of every service
// with the estimator and then searches exactly, so its time is about (sum of layer counts + 1 per
// service) estimates plus the search; the ratio shows that. Prints medians; asserts nothing.
// Run: build/bench/vramplan_bench_solve [iterations]

#include "bench_util.hpp"

#include <vramplan/model/catalog.hpp>
#include <vramplan/model/synth.hpp>
#include <vramplan/plan/deployment.hpp>
#include <vramplan/plan/services.hpp>
#include <vramplan/plan/solver.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <cstdlib>
#include <string>
#include <vector>

using namespace vramplan;

namespace {

// An 80-layer model (a narrow llama shape, about 4 B parameters) that the catalog lacks.
ResolvedModel eighty_layer_model() {
    CatalogModel cm;
    cm.name = "llama-80-layer";
    cm.arch = ArchitectureParams{"llama", 80, 2048, 16, 4, 5632, 32000};
    cm.arch.n_ctx_train = 8192;
    ResolvedModel m;
    m.spec_ptr = std::make_shared<const ModelSpec>(synthesize_model(cm, FileType::q4_k_m));
    m.label = cm.name;
    m.quant = "Q4_K_M";
    m.source = "synthetic";
    m.file = "llama-80-layer-Q4_K_M.gguf";
    return m;
}

} // namespace

int main(int argc, char** argv) {
    const int iterations = argc > 1 ? std::max(1, std::atoi(argv[1])) : 10;
    const std::string root = VRAMPLAN_SOURCE_DIR;
    const Catalog catalog = Catalog::load(root + "/models");
    const Deployment d = load_deployment(root, "p2");
    SolveOptions o;
    o.gpu = GpuProfiles::load(root + "/profiles/gpus").resolve("rtx4050");
    o.host = load_host_profile(root, "default");
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
    fmt::print("vramplan bench: solve with the p2 settings (-c 1024 -b 128) on an RTX 4050 "
               "unless named, medians of {}\n",
               iterations);
    fmt::print("{:<32} {:>8} {:>10} {:>16} {:>10}\n", "deployment", "options", "solve ms",
               "one estimate ms", "ratio");
    const ResolvedModel eighty = eighty_layer_model();
    for (std::size_t k = 0; k <= cases.size(); ++k) {
        // The last case: 8 services of one 80-layer model on an RTX 4090 (identical services
        // share one cost table).
        const bool fleet = k == cases.size();
        const Case c = fleet ? Case{"8 x 80-layer model, RTX 4090", {}} : cases[k];
        SolveOptions opt = o;
        if (fleet) {
            opt.gpu = GpuProfiles::load(root + "/profiles/gpus").resolve("rtx4090");
        }
        std::vector<ServiceRequest> services;
        std::uint32_t options = 0;
        const ServiceRequest* largest = nullptr;
        for (std::size_t i = 0; i < (fleet ? 8 : c.models.size()); ++i) {
            if (fleet) {
                ServiceRequest r = role_service("w", "qwen2.5-0.5b-instruct", catalog, d, {});
                r.name = fmt::format("w{}", i);
                r.model = eighty;
                services.push_back(r);
            } else {
                services.push_back(
                    spec_service(fmt::format("s{}={}", i, c.models[i]), catalog, d, {}, 0));
            }
            options += services.back().model.spec().n_layer + 2;
        }
        largest =
            &*std::max_element(services.begin(), services.end(), [](const auto& a, const auto& b) {
                return a.model.spec().n_layer < b.model.spec().n_layer;
            });
        std::uint64_t sink = 0;
        const double solve_ms =
            bench::median<std::milli>(iterations, [&] { sink += solve(services, opt).vram_bytes; });
        ServerSettings full = largest->settings;
        full.n_gpu_layers = ServerSettings::k_layers_all;
        const double one_ms = bench::median<std::milli>(iterations, [&] {
            sink += estimate_memory(largest->model.spec(), full, &opt.gpu).gpu_bytes();
        });
        fmt::print("{:<32} {:>8} {:>10.1f} {:>16.2f} {:>9.0f}x\n", c.name, options, solve_ms,
                   one_ms, solve_ms / std::max(one_ms, 1e-6));
        if (sink == 0) {
            return 1;
        }
    }
    return 0;
}
