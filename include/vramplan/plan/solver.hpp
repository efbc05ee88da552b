#pragma once
// Planning several llama-server services on one GPU: the layer count of each, so that everything
// fits with headroom and generation is as fast as possible, weighted by priority.
// docs/solver.md explains the objective, the throughput model and the defaults.

#include <vramplan/estimate/estimate.hpp>
#include <vramplan/estimate/throughput.hpp>
#include <vramplan/model/model_source.hpp>
#include <vramplan/plan/deployment.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace vramplan {

struct ServiceRequest {
    std::string name; // the compose service: "inference-chat"
    std::string role; // "chat", "code", or the name for --service
    ResolvedModel model;
    ServerSettings settings;
    std::uint32_t threads = 0;
    bool cont_batching = true;
    std::uint16_t port = 0;
    int priority = 1;
    std::uint32_t min_gpu_layers = 0;
    Workload workload; // the typical request its speed is measured on
};

struct SolveOptions {
    GpuProfile gpu;
    std::uint64_t reserve_bytes = 0;  // held by other programs (a desktop, a browser)
    std::uint64_t headroom_bytes = 0; // kept free on top of every estimate
    HostProfile host;                 // bandwidth and compute of the CPU side
    // --allow: settings the solver may change besides layers (never silently: each change is
    // listed in ServicePlan::changes). Off by default.
    bool allow_ctx = false;      // halve -c, down to 512
    bool allow_kv_type = false;  // q8_0 K and V cache (turns flash attention on)
    bool allow_parallel = false; // --parallel 1
};

struct ServicePlan {
    ServiceRequest request;
    std::uint32_t n_gpu_layers = 0; // output layer counted, as -ngl takes it
    MemoryEstimate estimate;
    SpeedEstimate speed;
    std::uint64_t vram_bytes = 0; // every GPU buffer plus the CUDA context
    std::uint64_t host_bytes = 0;
    std::vector<std::string> changes; // settings changed under --allow: "-c 512 (was 1024)"
};

struct Fix {
    std::string change; // "inference-code: -c 512"
    std::uint64_t frees_bytes = 0;
};

struct Plan {
    bool fits = false;
    std::vector<ServicePlan> services; // the chosen plan, or every service at its minimum
    std::uint64_t total_bytes = 0;     // the GPU, as nvidia-smi reports it
    std::uint64_t budget_bytes = 0;    // total - reserve - headroom
    std::uint64_t vram_bytes = 0;      // sum over services
    std::vector<Fix> fixes;            // when it does not fit: cheapest first
};

// The peak rates a service is measured against: the GPU's, the host's for its threads.
ComputeRates compute_rates(const SolveOptions& options, const ServiceRequest& service);

// Throws vramplan::Error for settings llama.cpp refuses or a headroom larger than the GPU.
Plan solve(const std::vector<ServiceRequest>& services, const SolveOptions& options);

// The plan for fixed layer counts (for scenarios): same accounting, no search.
Plan evaluate(const std::vector<ServiceRequest>& services, const std::vector<int>& n_gpu_layers,
              const SolveOptions& options);

} // namespace vramplan
