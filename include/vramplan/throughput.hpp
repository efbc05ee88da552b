#pragma once
// Expected token-generation speed from where the bytes live. Generating one token reads every
// weight of every layer once (the embedding table only one row) and the KV cache in use; the GPU
// reads its share at the GPU's bandwidth, the host its share at the host's. docs/solver.md.

#include <vramplan/estimate.hpp>
#include <vramplan/model.hpp>

#include <cstdint>
#include <string>

namespace vramplan {

struct SpeedEstimate {
    std::uint64_t gpu_bytes_per_token = 0;
    std::uint64_t host_bytes_per_token = 0;
    double tokens_per_s = 0; // from peak bandwidths: an upper bound, comparable across plans
    double full_offload_tokens_per_s = 0;
    double fraction_of_full = 0; // tokens_per_s / full_offload_tokens_per_s
};

// `kv_fill` is the share of the context assumed in use on average (0.5: half full).
SpeedEstimate generation_speed(const ModelSpec& m, const MemoryEstimate& e, double gpu_bw_gb_s,
                               double host_bw_gb_s, double kv_fill = 0.5);

} // namespace vramplan
