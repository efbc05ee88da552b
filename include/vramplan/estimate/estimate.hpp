#pragma once
// The memory llama.cpp allocates for a model and llama-server settings, buffer by buffer and
// device by device, named as llama.cpp logs them. docs/memory-model.md explains every term.

#include <vramplan/estimate/context.hpp>
#include <vramplan/estimate/llm_graph.hpp>
#include <vramplan/model/gpu_profile.hpp>
#include <vramplan/model/model.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace vramplan {

enum class BufferKind { model, kv, compute, output, runtime };
std::string_view buffer_kind_name(BufferKind k);

struct BufferEstimate {
    BufferKind kind{};
    std::string buffer; // llama.cpp's buffer type name: CUDA0, CUDA_Host, CPU_Mapped, CPU...
    bool on_gpu = false;
    std::uint64_t bytes = 0;
};

// How exactly a figure is known (docs/accuracy.md).
enum class Basis {
    exact,      // deterministic, checked byte for byte against llama.cpp
    replayed,   // the compute graph rebuilt and ggml-alloc replayed; exact on every CPU run
    approximate // modelled; not yet validated (partial offload compute)
};

struct MemoryEstimate {
    ContextParams context;
    std::uint32_t n_gpu_layers = 0; // resolved: layers on the GPU, output layer counted
    std::uint32_t layers_total = 0; // n_layer + 1
    std::vector<BufferEstimate> buffers;
    Basis compute_basis = Basis::replayed;
    std::vector<std::string> notes; // assumptions the caller should show

    std::uint64_t gpu_bytes() const;
    std::uint64_t host_bytes() const;
    std::uint64_t bytes_of(BufferKind kind, bool on_gpu) const; // one kind on one side
};

// The two graphs llama_context::sched_reserve reserves: prompt processing (min(n_ctx, n_ubatch)
// tokens rounded up to the streams, min(tokens, n_outputs_max) outputs) and generation (one
// token per stream).
GraphShape prompt_graph_shape(const ContextParams& c);
GraphShape generation_graph_shape(const ContextParams& c);

// The two graphs llama_context reserves for a model and settings. They do not depend on -ngl
// (only where their nodes run does), so a caller costing many layer counts, the solver, builds
// them once. nullopt for an architecture without a graph builder; throws ErrorKind::usage for
// settings llama.cpp refuses.
struct ReservedGraphs {
    graph::Graph prompt;
    graph::Graph generation;
};
std::optional<ReservedGraphs> build_reserved_graphs(const ModelSpec& m, const ServerSettings& s);

// `gpu` null means a CPU-only build (--gpu none). Throws ErrorKind::usage for settings llama.cpp
// refuses and ErrorKind::data for an architecture whose compute graph is not modelled.
// `graphs`, when given, must come from build_reserved_graphs(m, s) with any -ngl.
MemoryEstimate estimate_memory(const ModelSpec& m, const ServerSettings& s, const GpuProfile* gpu,
                               const ReservedGraphs* graphs = nullptr);

// Which layers llama.cpp puts on the GPU for -ngl (llama_model::load_tensors): the output layer
// first, then the blocks from the last backwards. Returns the number of layers, output included.
std::uint32_t gpu_layer_count(const ModelSpec& m, int n_gpu_layers, bool has_gpu);
bool layer_on_gpu(const ModelSpec& m, std::uint32_t n_gpu, int layer);

// ggml_backend_buft_get_alloc_size of the CUDA buffer type: quantized rows are padded to a
// multiple of 512 elements (MATRIX_ROW_PADDING), once per tensor.
std::uint64_t cuda_alloc_size(GgmlType type, const std::array<std::uint64_t, 4>& ne,
                              std::uint32_t n_dims);

} // namespace vramplan
