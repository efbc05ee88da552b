#pragma once
// The numbers that define a dense transformer's shape, and the tensors llama.cpp's converter
// writes for each architecture we can synthesize (llama, qwen2, qwen3, gemma2, phi3). Used to build
// a ModelSpec from catalog numbers when no .gguf file is at hand.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace vramplan {

struct ArchitectureParams {
    std::string arch;          // general.architecture: "llama", "qwen2", "gemma2", "phi3"
    std::uint32_t n_layer = 0; // block_count
    std::uint32_t n_embd = 0;
    std::uint32_t n_head = 0;
    std::uint32_t n_head_kv = 0;
    std::uint32_t n_ff = 0;
    std::uint32_t n_vocab = 0;
    std::uint32_t head_dim = 0;    // attention.key_length = value_length; 0 means n_embd / n_head
    std::uint32_t n_rot = 0;       // rope.dimension_count; 0 means head_dim
    std::uint32_t n_ctx_train = 0; // context_length
    std::uint32_t sliding_window = 0; // attention.sliding_window; 0 = none
    bool tied_output = false;         // no output.weight: the output reuses token_embd
    bool attention_bias = false;      // q/k/v biases (qwen2)
    bool rope_freqs = false;          // llama3-style rope_freqs.weight [n_rot/2]
    bool rope_factors = false;        // phi3 longrope rope_factors_long/short [n_rot/2]

    std::uint32_t head_dim_or_default() const { return head_dim != 0 ? head_dim : n_embd / n_head; }
    std::uint32_t n_rot_or_default() const { return n_rot != 0 ? n_rot : head_dim_or_default(); }
};

bool can_synthesize(std::string_view arch);
std::vector<std::string> synthesizable_architectures();

struct LayoutTensor {
    std::string name;
    std::vector<std::uint64_t> ne; // ggml order: ne[0] is the row length
};

// Every tensor of the model, unquantized; types are chosen by the recipe. Throws ErrorKind::data
// for an architecture we cannot synthesize or numbers that do not describe a model.
std::vector<LayoutTensor> tensor_layout(const ArchitectureParams& p);

} // namespace vramplan
