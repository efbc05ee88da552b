#pragma once
// Expected speed of a llama-server from where its bytes live, for the solver's objective and the
// speeds plans print. docs/solver.md derives each formula.
//
// Generation is bound by memory bandwidth: each new token reads every weight of every layer
// once (the embedding table one row; of a mixture of experts only the experts in use) and the KV
// cache in use; the GPU reads its share at the GPU's bandwidth, the host its share at the host's.
//
// Prompt processing is bound by compute: every weight matrix is multiplied with every prompt
// token. With a GPU, ggml's scheduler runs the matrix multiplications of host-resident layers on
// the GPU too when a micro-batch has at least 32 tokens (ggml_backend_sched's op offload and
// ggml_backend_cuda_device_offload_op), copying those weights over PCIe once per micro-batch.

#include <vramplan/estimate/estimate.hpp>
#include <vramplan/model/model.hpp>

#include <cstdint>

namespace vramplan {

// The peak rates a plan is measured against (GPU and host profiles).
struct ComputeRates {
    double gpu_bandwidth_gb_s = 0; // 0: no GPU
    double gpu_tflops = 0;         // dense FP16 tensor peak; 0: prompt speed not estimated
    double pcie_gb_s = 0;          // host to GPU, one direction
    double host_bandwidth_gb_s = 0;
    double host_gflops = 0; // for the threads the server runs
};

// A typical request: the prompt it sends and the tokens it gets back.
struct Workload {
    std::uint32_t prompt_tokens = 512;
    std::uint32_t generated_tokens = 128;

    bool operator==(const Workload&) const = default;
};

// Below this many tokens a CUDA build keeps a host layer's matrix multiplications on the CPU
// (ggml_backend_cuda_device_offload_op: min_batch_size).
inline constexpr std::uint32_t k_op_offload_min_batch = 32;

struct SpeedEstimate {
    // token generation
    std::uint64_t gpu_bytes_per_token = 0;
    std::uint64_t host_bytes_per_token = 0;
    double tokens_per_s = 0; // from peak bandwidths: an upper bound, comparable across plans
    double full_offload_tokens_per_s = 0;
    // prompt processing; 0 when the GPU profile has no compute figures
    double prompt_tokens_per_s = 0;
    double full_offload_prompt_tokens_per_s = 0;
    std::uint64_t pcie_bytes_per_ubatch = 0; // host-layer weights copied for each micro-batch
    // one request of the workload: prompt, then generation
    Workload workload;
    double request_seconds = 0;
    double full_offload_request_seconds = 0;

    double generation_fraction_of_full() const;
    double prompt_fraction_of_full() const;
    // The solver's measure: full-offload request time over this plan's (1 = as fast as all
    // layers on the GPU).
    double fraction_of_full() const;
};

// `kv_fill` is the share of the context assumed in use while generating (0.5: half full).
SpeedEstimate estimate_speed(const ModelSpec& m, const MemoryEstimate& e, const ComputeRates& r,
                             const Workload& w, double kv_fill = 0.5);

} // namespace vramplan
