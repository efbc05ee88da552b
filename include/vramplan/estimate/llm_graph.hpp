#pragma once
// The forward graph llama.cpp reserves its compute buffers with, rebuilt for the architectures
// whose graph builders we mirror (src/models/{llama,qwen2,gemma2,phi3}.cpp and
// llm_graph_context::build_attn / build_attn_mha / build_ffn in src/llama-graph.cpp of llama.cpp
// v0.5.0, the release behind tests/data/cpu-truth.json).

#include <vramplan/estimate/compute_graph.hpp>
#include <vramplan/model/model.hpp>

#include <cstdint>
#include <string_view>

namespace vramplan {

// The shape of one reserved graph (llama_context::graph_reserve).
struct GraphShape {
    std::uint32_t n_tokens = 0;  // tokens in the ubatch (a multiple of n_stream)
    std::uint32_t n_outputs = 0; // rows of logits computed
    std::uint32_t n_stream = 1;  // KV streams (1 when the cache is unified)
    std::uint32_t n_kv = 0;      // cells per stream of the (base) cache
    std::uint32_t n_kv_swa = 0;  // cells per stream of the sliding-window cache
    bool flash_attn = false;
    GgmlType type_k = GgmlType::f16;
    GgmlType type_v = GgmlType::f16;
};

bool has_graph_builder(std::string_view arch);

// Builds the graph for `m`; throws ErrorKind::data for an architecture without a builder.
graph::Graph build_llm_graph(const ModelSpec& m, const GraphShape& shape);

// Size of the Hadamard rotation llama.cpp applies to a quantized K (or V) cache with head size
// `head_dim`: the largest power of two of at least 64 dividing it, 0 when none (no rotation).
std::uint32_t kv_rotation_size(std::uint32_t head_dim);

// For architectures without a graph builder: an upper-leaning formula for the compute buffer of
// one reservation (docs/memory-model.md, "Fallback"). `inputs` gets the part the graph inputs
// take (which a GPU build keeps on the CPU side).
struct ComputeFormula {
    std::uint64_t inputs = 0;
    std::uint64_t total = 0;
};
ComputeFormula compute_formula(const ModelSpec& m, const GraphShape& shape);

} // namespace vramplan
