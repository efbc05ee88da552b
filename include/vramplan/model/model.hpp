#pragma once
// ModelSpec: one description of a model, whether read from a .gguf file's header or synthesized
// from catalog numbers plus a quantization recipe. Both routes give the same tensors.

#include <vramplan/model/ggml_types.hpp>
#include <vramplan/model/gguf.hpp>
#include <vramplan/model/quant_recipe.hpp>

#include <array>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace vramplan {

// Layer indices used for tensors outside the repeating blocks. The output layer is n_layer, as
// llama.cpp counts it for -ngl ("offloaded 29/29 layers" for a 28-block model).
inline constexpr int k_layer_input = -1;  // token_embd and other input tensors
inline constexpr int k_layer_shared = -2; // rope factors llama.cpp duplicates into every layer

// llama.cpp sizes its per-layer arrays with LLAMA_MAX_LAYERS (src/llama-hparams.h) and refuses
// models with more blocks; so do we, before allocating anything per layer.
inline constexpr std::uint32_t k_llama_max_layers = 512;

struct TensorSpec {
    std::string name;
    int layer = k_layer_input; // 0..n_layer-1 block, n_layer output, or k_layer_input/_shared
    GgmlType type{};
    std::array<std::uint64_t, 4> ne{1, 1, 1, 1};
    std::uint32_t n_dims = 1;
    std::uint64_t bytes = 0;      // ggml_nbytes
    std::uint32_t file_index = 0; // which split file holds it
    std::uint64_t offset = 0;     // offset of its data from the start of that file's data section
};

struct ModelFile {
    std::string path; // empty when synthesized
    std::uint64_t file_size = 0;
    std::uint64_t data_offset = 0; // header bytes, padded to the alignment
    std::uint32_t alignment = k_gguf_default_alignment;
};

struct ModelSpec {
    std::string name;         // general.name, or the catalog name
    std::string architecture; // general.architecture
    std::optional<FileType> file_type;
    std::uint32_t n_layer = 0;
    std::uint32_t n_embd = 0;
    std::uint32_t n_vocab = 0;
    std::uint32_t n_ctx_train = 0;
    std::uint32_t n_embd_head_k = 0;
    std::uint32_t n_embd_head_v = 0;
    std::vector<std::uint32_t> n_head;    // per layer
    std::vector<std::uint32_t> n_head_kv; // per layer
    std::vector<std::uint32_t> n_ff;      // per layer
    std::uint32_t n_swa = 0;              // sliding window; 0 = none
    std::vector<bool> swa_layers;         // per layer: uses the sliding window
    std::uint32_t n_expert = 0;
    std::uint32_t n_expert_used = 0;
    bool tied_output = false;
    std::vector<TensorSpec> tensors;
    std::vector<ModelFile> files;

    std::uint64_t tensor_bytes() const;
    std::uint64_t file_bytes() const; // sum of the files' sizes
    std::uint32_t n_embd_k_gqa(std::uint32_t il) const { return n_embd_head_k * n_head_kv.at(il); }
    std::uint32_t n_embd_v_gqa(std::uint32_t il) const { return n_embd_head_v * n_head_kv.at(il); }
};

// Which layer llama.cpp places a tensor in (see k_layer_*).
int tensor_layer(std::string_view name, std::uint32_t n_layer);

// Builds a ModelSpec from the parts of one model (one GgufFile, or every split in order).
// Throws ErrorKind::format naming the missing or malformed key.
ModelSpec model_from_gguf(std::span<const GgufFile> parts, std::span<const std::string> paths);

// Reads a .gguf file, and every part of a split model ("name-00001-of-00003.gguf").
ModelSpec read_model(const std::filesystem::path& path);

// Per-layer totals, in placement order: input, shared, blocks 0..n_layer-1, output.
struct LayerBytes {
    int layer = 0;
    std::uint32_t tensors = 0;
    std::uint64_t bytes = 0;
};
std::vector<LayerBytes> bytes_by_layer(const ModelSpec& m);

struct TypeCount {
    GgmlType type{};
    std::uint32_t tensors = 0;
    std::uint64_t bytes = 0;
};
// Count and bytes per tensor type, in ggml type id order.
std::vector<TypeCount> type_mix(const ModelSpec& m);

} // namespace vramplan
