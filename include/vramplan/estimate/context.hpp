#pragma once
// llama-server settings and the context llama.cpp resolves from them (llama_context's
// constructor in src/llama-context.cpp; server defaults from tools/server).

#include <vramplan/model/ggml_types.hpp>
#include <vramplan/model/model.hpp>

#include <cstdint>
#include <optional>

namespace vramplan {

enum class FlashAttn { automatic, on, off };

// Settings as llama-server takes them, with its defaults.
struct ServerSettings {
    static constexpr int k_layers_auto = -1; // -ngl auto (the default)
    static constexpr int k_layers_all = -2;  // -ngl all

    int n_gpu_layers = k_layers_auto;
    std::uint32_t n_ctx = 0; // -c; 0 means the model's training context
    std::uint32_t n_batch = 2048;
    std::uint32_t n_ubatch = 512;
    int n_parallel = -1;            // -np; -1 (auto) means 4 slots sharing a unified cache
    std::optional<bool> kv_unified; // -kvu; default: on only when -np is auto
    FlashAttn flash_attn = FlashAttn::automatic;
    GgmlType type_k = GgmlType::f16;
    GgmlType type_v = GgmlType::f16;
    bool kv_offload = true;
    bool mmap = true;
    bool swa_full = false;
    std::uint32_t n_outputs_max = 0; // 0 means n_batch (llama.cpp's default)
    bool cpu_repack = true;          // --repack / --no-repack (CPU-only builds)

    bool operator==(const ServerSettings&) const = default;
};

// What llama.cpp's context resolves (the `llama_context:` lines of its log).
struct ContextParams {
    std::uint32_t n_ctx = 0;     // total cells, padded to 256
    std::uint32_t n_ctx_seq = 0; // cells per sequence
    std::uint32_t n_seq_max = 1;
    std::uint32_t n_stream = 1; // KV streams: 1 when unified, else n_seq_max
    bool kv_unified = false;
    std::uint32_t n_batch = 0;
    std::uint32_t n_ubatch = 0;
    std::uint32_t n_outputs_max = 0;
    bool flash_attn = false;
    GgmlType type_k = GgmlType::f16;
    GgmlType type_v = GgmlType::f16;
    std::uint32_t kv_size = 0;     // cells per stream of the cache
    std::uint32_t kv_size_swa = 0; // cells per stream for sliding-window layers (0: none)
};

// Throws ErrorKind::usage for settings llama.cpp refuses (a quantized V cache without flash
// attention, a zero context).
ContextParams resolve_context(const ModelSpec& m, const ServerSettings& s);

} // namespace vramplan
