#pragma once
// Reading a llama.cpp / llama-server log: the model it loaded, the context settings it resolved
// and every buffer it allocated, from the formats of 2024 builds (`llm_load_tensors:`,
// `llama_new_context_with_model:`, `llama_kv_cache_init:`) to current ones (`load_tensors:`,
// `llama_context:`, `llama_kv_cache:`, `sched_reserve:`). Lines may carry prefixes (ollama's
// `time=... msg=`, node-llama-cpp's `[info]`) and other text may surround the log: what is not
// recognised is skipped. docs/verify.md lists the lines read.

#include <vramplan/estimate/context.hpp>
#include <vramplan/estimate/estimate.hpp>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace vramplan {

struct LoggedBuffer {
    BufferKind kind{};
    std::string buffer;   // CUDA0, CUDA_Host, CPU_Mapped, CPU_REPACK, CPU, ...
    std::string mib_text; // as logged: "4168.09"
    std::uint64_t line = 0;

    double mib() const;
    // Device memory: a GPU backend's own buffer (CUDA0, ROCm0, Vulkan0, Metal), not a pinned
    // host buffer (CUDA_Host) or a CPU one.
    bool on_gpu() const;
};

struct LlamaLog {
    // The model (the last one loaded when the log holds several).
    std::map<std::string, std::string> metadata;      // llama_model_loader's GGUF keys: values
    std::map<std::string, std::string> info;          // print_info / llm_load_print_meta fields
    std::map<std::string, std::uint64_t> type_counts; // "q4_K" -> 169 tensors
    std::optional<std::uint64_t> n_tensors;
    std::string model_path;

    // The context (the last one constructed).
    std::optional<std::uint32_t> n_ctx;
    std::optional<std::uint32_t> n_ctx_seq;
    std::optional<std::uint32_t> n_batch;
    std::optional<std::uint32_t> n_ubatch;
    std::optional<std::uint32_t> n_seq_max;
    std::optional<std::uint32_t> n_outputs_max;
    std::optional<bool> flash_attn; // resolved: "auto, set to enabled" counts as on
    std::optional<bool> kv_unified;
    std::optional<GgmlType> type_k;
    std::optional<GgmlType> type_v;
    std::optional<bool> mmap;
    std::optional<std::uint32_t> layers_offloaded; // "offloaded 29/29 layers to GPU"
    std::optional<std::uint32_t> layers_total;
    std::optional<std::uint64_t> graph_nodes;
    std::optional<std::uint64_t> graph_splits;
    std::string gpu_name; // "NVIDIA GeForce RTX 3060", where the log names the device

    std::vector<LoggedBuffer> buffers;
    std::uint64_t lines = 0;      // lines read
    std::uint64_t lines_used = 0; // lines that contributed something

    std::uint64_t gpu_buffer_bytes() const; // sum of the device buffers, from the logged MiB
};

// Never throws on content: unknown lines are skipped. An empty result (no buffer lines) is for
// the caller to report.
LlamaLog parse_llama_log(std::string_view text);

// The llama-server settings the log's context came from, as far as it tells (defaults where it
// does not): -c, -b, -ub, -np, -kvu, -fa, -ctk/-ctv, -ngl, --mmap.
ServerSettings log_settings(const LlamaLog& log);

} // namespace vramplan
