#include <vramplan/base/error.hpp>
#include <vramplan/model/architecture.hpp>

#include <catch2/catch.hpp>

#include <algorithm>

using namespace vramplan;

namespace {

const LayoutTensor* find(const std::vector<LayoutTensor>& t, const std::string& name) {
    auto it = std::find_if(t.begin(), t.end(), [&](const auto& x) { return x.name == name; });
    return it == t.end() ? nullptr : &*it;
}

} // namespace

TEST_CASE("qwen2 layout: biases, GQA widths, untied output") {
    ArchitectureParams p{"qwen2", 28, 3584, 28, 4, 18944, 152064};
    p.attention_bias = true;
    const auto t = tensor_layout(p);
    CHECK(t.size() == 339); // 12 per block + token_embd, output_norm, output
    CHECK(find(t, "blk.0.attn_k.weight")->ne == std::vector<std::uint64_t>{3584, 512});
    CHECK(find(t, "blk.0.attn_k.bias")->ne == std::vector<std::uint64_t>{512});
    CHECK(find(t, "blk.27.ffn_down.weight")->ne == std::vector<std::uint64_t>{18944, 3584});
    CHECK(find(t, "output.weight")->ne == std::vector<std::uint64_t>{3584, 152064});
}

TEST_CASE("qwen3 layout: per-head Q and K norms, head_dim apart from embedding / heads") {
    ArchitectureParams p{"qwen3", 28, 1024, 16, 8, 3072, 151936};
    p.head_dim = 128;
    p.tied_output = true;
    const auto t = tensor_layout(p);
    CHECK(t.size() == 28 * 11 + 2); // 9 as llama's + attn_q_norm and attn_k_norm; tied output
    CHECK(find(t, "blk.0.attn_q.weight")->ne == std::vector<std::uint64_t>{1024, 2048});
    CHECK(find(t, "blk.0.attn_k.weight")->ne == std::vector<std::uint64_t>{1024, 1024});
    CHECK(find(t, "blk.27.attn_q_norm.weight")->ne == std::vector<std::uint64_t>{128});
    CHECK(find(t, "blk.27.attn_k_norm.weight")->ne == std::vector<std::uint64_t>{128});
    CHECK(find(t, "blk.0.attn_q.bias") == nullptr);
    CHECK(find(t, "output.weight") == nullptr);
}

TEST_CASE("llama3 rope_freqs, gemma2 post-norms and head_dim, phi3 fused tensors") {
    ArchitectureParams llama{"llama", 32, 4096, 32, 8, 14336, 128256};
    llama.rope_freqs = true;
    const auto l = tensor_layout(llama);
    CHECK(find(l, "rope_freqs.weight")->ne == std::vector<std::uint64_t>{64});
    CHECK(find(l, "blk.0.attn_q.bias") == nullptr);

    ArchitectureParams gemma{"gemma2", 26, 2304, 8, 4, 9216, 256000};
    gemma.head_dim = 256;
    gemma.tied_output = true;
    const auto g = tensor_layout(gemma);
    CHECK(find(g, "blk.0.attn_q.weight")->ne == std::vector<std::uint64_t>{2304, 2048});
    CHECK(find(g, "blk.0.post_ffw_norm.weight") != nullptr);
    CHECK(find(g, "output.weight") == nullptr);

    ArchitectureParams phi{"phi3", 32, 3072, 32, 32, 8192, 32064};
    phi.n_rot = 96;
    phi.rope_factors = true;
    const auto f = tensor_layout(phi);
    CHECK(find(f, "blk.0.attn_qkv.weight")->ne == std::vector<std::uint64_t>{3072, 9216});
    CHECK(find(f, "blk.0.ffn_up.weight")->ne == std::vector<std::uint64_t>{3072, 16384});
    CHECK(find(f, "rope_factors_long.weight")->ne == std::vector<std::uint64_t>{48});
}

TEST_CASE("unknown architectures and impossible numbers are data errors") {
    CHECK_THROWS_AS(tensor_layout(ArchitectureParams{"mamba", 1, 8, 1, 1, 8, 8}), Error);
    CHECK_THROWS_AS(tensor_layout(ArchitectureParams{"llama", 0, 8, 1, 1, 8, 8}), Error);
    CHECK_THROWS_AS(tensor_layout(ArchitectureParams{"llama", 2, 10, 3, 1, 8, 8}), Error);
    CHECK(can_synthesize("gemma2"));
    CHECK_FALSE(can_synthesize("gemma3"));
}
