// Tensor sets per architecture, as convert_hf_to_gguf.py names and shapes them and as
// llama.cpp's llama-model.cpp (load_tensors) expects them.

#include <vramplan/base/error.hpp>
#include <vramplan/model/architecture.hpp>

#include <array>

namespace vramplan {

namespace {

constexpr std::array<std::string_view, 5> k_archs{"llama", "qwen2", "qwen3", "gemma2", "phi3"};

void check(bool ok, const ArchitectureParams& p, const std::string& what) {
    if (!ok) {
        throw Error(ErrorKind::data, p.arch, what);
    }
}

} // namespace

bool can_synthesize(std::string_view arch) {
    for (auto a : k_archs) {
        if (a == arch) {
            return true;
        }
    }
    return false;
}

std::vector<std::string> synthesizable_architectures() {
    return {k_archs.begin(), k_archs.end()};
}

std::vector<LayoutTensor> tensor_layout(const ArchitectureParams& p) {
    check(can_synthesize(p.arch), p,
          "cannot synthesize this architecture (supported: llama, qwen2, qwen3, gemma2, phi3); "
          "read the real .gguf instead");
    check(p.n_layer > 0 && p.n_embd > 0 && p.n_head > 0 && p.n_head_kv > 0 && p.n_ff > 0 &&
              p.n_vocab > 0,
          p, "layers, embedding, heads, kv_heads, ffn and vocab must all be positive");
    check(p.head_dim != 0 || p.n_embd % p.n_head == 0, p,
          "embedding is not a multiple of heads; give head_dim");

    const std::uint64_t E = p.n_embd;
    const std::uint64_t V = p.n_vocab;
    const std::uint64_t F = p.n_ff;
    const std::uint64_t d = p.head_dim_or_default();
    const std::uint64_t q_width = d * p.n_head;
    const std::uint64_t kv_width = d * p.n_head_kv;
    const std::uint64_t half_rot = p.n_rot_or_default() / 2;

    std::vector<LayoutTensor> t;
    t.reserve(4 + std::size_t{p.n_layer} * 14);
    if (p.rope_freqs) {
        t.push_back({"rope_freqs.weight", {half_rot}});
    }
    if (p.rope_factors) {
        t.push_back({"rope_factors_long.weight", {half_rot}});
        t.push_back({"rope_factors_short.weight", {half_rot}});
    }
    t.push_back({"token_embd.weight", {E, V}});
    for (std::uint32_t i = 0; i < p.n_layer; ++i) {
        const std::string b = "blk." + std::to_string(i) + ".";
        t.push_back({b + "attn_norm.weight", {E}});
        if (p.arch == "phi3") {
            t.push_back({b + "attn_qkv.weight", {E, q_width + 2 * kv_width}});
            t.push_back({b + "attn_output.weight", {q_width, E}});
            t.push_back({b + "ffn_norm.weight", {E}});
            t.push_back({b + "ffn_up.weight", {E, 2 * F}}); // gate and up, fused
            t.push_back({b + "ffn_down.weight", {F, E}});
            continue;
        }
        t.push_back({b + "attn_q.weight", {E, q_width}});
        if (p.attention_bias) {
            t.push_back({b + "attn_q.bias", {q_width}});
        }
        t.push_back({b + "attn_k.weight", {E, kv_width}});
        if (p.attention_bias) {
            t.push_back({b + "attn_k.bias", {kv_width}});
        }
        t.push_back({b + "attn_v.weight", {E, kv_width}});
        if (p.attention_bias) {
            t.push_back({b + "attn_v.bias", {kv_width}});
        }
        t.push_back({b + "attn_output.weight", {q_width, E}});
        if (p.arch == "qwen3") { // llama_model_qwen3::load_arch_tensors: per-head Q and K norms
            t.push_back({b + "attn_q_norm.weight", {d}});
            t.push_back({b + "attn_k_norm.weight", {d}});
        }
        if (p.arch == "gemma2") {
            t.push_back({b + "post_attention_norm.weight", {E}});
        }
        t.push_back({b + "ffn_norm.weight", {E}});
        t.push_back({b + "ffn_gate.weight", {E, F}});
        t.push_back({b + "ffn_up.weight", {E, F}});
        t.push_back({b + "ffn_down.weight", {F, E}});
        if (p.arch == "gemma2") {
            t.push_back({b + "post_ffw_norm.weight", {E}});
        }
    }
    t.push_back({"output_norm.weight", {E}});
    if (!p.tied_output) {
        t.push_back({"output.weight", {E, V}});
    }
    return t;
}

} // namespace vramplan
