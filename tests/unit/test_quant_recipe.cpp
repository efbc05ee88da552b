#include "support/gguf_builder.hpp"

#include <vramplan/model/architecture.hpp>
#include <vramplan/model/quant_recipe.hpp>
#include <vramplan/model/synth.hpp>

#include <catch2/catch.hpp>

#include <algorithm>
#include <map>
#include <random>
#include <set>

using namespace vramplan;

namespace {

CatalogModel qwen(std::uint32_t layers, std::uint32_t embd, std::uint32_t heads, std::uint32_t kv,
                  std::uint32_t ffn, std::uint32_t vocab, bool tied) {
    CatalogModel m;
    m.name = "qwen-test";
    m.arch = ArchitectureParams{"qwen2", layers, embd, heads, kv, ffn, vocab};
    m.arch.n_ctx_train = 32768;
    m.arch.tied_output = tied;
    m.arch.attention_bias = true;
    return m;
}

CatalogModel qwen7b() {
    return qwen(28, 3584, 28, 4, 18944, 152064, false);
}

std::map<std::string, std::uint32_t> counts(const ModelSpec& m) {
    std::map<std::string, std::uint32_t> out;
    for (const auto& t : m.tensors) {
        ++out[std::string(type_name(t.type))];
    }
    return out;
}

GgmlType type_of(const ModelSpec& m, const std::string& name) {
    for (const auto& t : m.tensors) {
        if (t.name == name) {
            return t.type;
        }
    }
    FAIL("no tensor " << name);
    return GgmlType::f32;
}

} // namespace

TEST_CASE("file type names and default types (llama_ftype_get_default_type)") {
    CHECK(parse_file_type("q4_k_m") == FileType::q4_k_m);
    CHECK(parse_file_type("IQ4_XS") == FileType::iq4_xs);
    CHECK_FALSE(parse_file_type("Q4_K_L").has_value());
    CHECK(info(FileType::q4_k_m).default_type == GgmlType::q4_k);
    CHECK(info(FileType::iq2_s).default_type == GgmlType::iq2_xs);
    CHECK(info(FileType::iq3_m).default_type == GgmlType::iq3_s);
    CHECK(static_cast<std::uint32_t>(FileType::q4_k_m) == 15);
    CHECK(find_file_type(4) == nullptr); // removed Q4_1_SOME_F16
}

TEST_CASE("llama-quantize write order: by layer, then by name") {
    std::vector<std::string> names{
        "blk.10.ffn_up.weight", "token_embd.weight",  "blk.2.attn_q.weight", "output.weight",
        "blk.2.attn_k.weight",  "output_norm.weight", "rope_freqs.weight"};
    std::sort(names.begin(), names.end(), weight_order_less);
    CHECK(names == std::vector<std::string>{"output.weight", "output_norm.weight",
                                            "rope_freqs.weight", "token_embd.weight",
                                            "blk.2.attn_k.weight", "blk.2.attn_q.weight",
                                            "blk.10.ffn_up.weight"});
    CHECK(weight_layer("blk.17.ffn_down.weight") == 17);
    CHECK(weight_layer("blk.x.ffn_down.weight") == -1);
    CHECK(weight_layer("token_embd.weight") == -1);
}

TEST_CASE("Qwen2.5-7B-Instruct Q4_K_M: 169 q4_K, 29 q6_K, 141 f32, 4,677,120,000 bytes") {
    const ModelSpec m = synthesize_model(qwen7b(), FileType::q4_k_m);
    CHECK(counts(m) ==
          std::map<std::string, std::uint32_t>{{"f32", 141}, {"q4_K", 169}, {"q6_K", 29}});
    CHECK(m.tensor_bytes() == 4677120000ULL);
    CHECK(type_of(m, "output.weight") == GgmlType::q6_k);
    CHECK(type_of(m, "token_embd.weight") == GgmlType::q4_k);
    // use_more_bits(i, 28): i < 3, i >= 24, or (i - 3) % 3 == 2.
    const std::set<int> more{0, 1, 2, 5, 8, 11, 14, 17, 20, 23, 24, 25, 26, 27};
    for (int i = 0; i < 28; ++i) {
        const GgmlType want = more.count(i) != 0 ? GgmlType::q6_k : GgmlType::q4_k;
        INFO("layer " << i);
        CHECK(type_of(m, "blk." + std::to_string(i) + ".attn_v.weight") == want);
        CHECK(type_of(m, "blk." + std::to_string(i) + ".ffn_down.weight") == want);
        CHECK(type_of(m, "blk." + std::to_string(i) + ".attn_q.bias") == GgmlType::f32);
    }
}

TEST_CASE("recipe counters follow write order whatever the input order") {
    const auto layout = tensor_layout(qwen7b().arch);
    std::vector<RecipeTensor> tensors;
    for (const auto& t : layout) {
        RecipeTensor r;
        r.name = t.name;
        r.n_dims = static_cast<std::uint32_t>(t.ne.size());
        std::copy(t.ne.begin(), t.ne.end(), r.ne.begin());
        r.source_type = r.n_dims < 2 ? GgmlType::f32 : GgmlType::f16;
        tensors.push_back(r);
    }
    const RecipeModel rm{"qwen2", 28, 28, 4};
    const auto sorted_types = choose_tensor_types(FileType::q4_k_m, rm, tensors);
    std::map<std::string, GgmlType> expect;
    for (std::size_t i = 0; i < tensors.size(); ++i) {
        expect[std::string(tensors[i].name)] = sorted_types[i];
    }
    std::mt19937 rng(42);
    std::shuffle(tensors.begin(), tensors.end(), rng);
    const auto shuffled_types = choose_tensor_types(FileType::q4_k_m, rm, tensors);
    for (std::size_t i = 0; i < tensors.size(); ++i) {
        CHECK(shuffled_types[i] == expect[std::string(tensors[i].name)]);
    }
}

TEST_CASE("tied embeddings take the output recipe (Qwen2.5-3B)") {
    const ModelSpec m =
        synthesize_model(qwen(36, 2048, 16, 2, 11008, 151936, true), FileType::q4_k_m);
    CHECK(type_of(m, "token_embd.weight") == GgmlType::q6_k);
    CHECK(counts(m) ==
          std::map<std::string, std::uint32_t>{{"f32", 181}, {"q4_K", 216}, {"q6_K", 37}});
}

TEST_CASE("row length fallback: Qwen2.5-0.5B's 896 columns") {
    const ModelSpec m =
        synthesize_model(qwen(24, 896, 14, 2, 4864, 151936, true), FileType::q4_k_m);
    CHECK(type_of(m, "token_embd.weight") == GgmlType::q8_0);   // tied, 896 % 256 != 0
    CHECK(type_of(m, "blk.3.attn_q.weight") == GgmlType::q5_0); // Q4_K -> Q5_0
    CHECK(type_of(m, "blk.0.attn_v.weight") == GgmlType::q8_0); // Q6_K -> Q8_0
    CHECK(type_of(m, "blk.3.attn_v.weight") == GgmlType::q5_0);
    CHECK(type_of(m, "blk.0.ffn_down.weight") == GgmlType::q6_k); // 4864 = 19 * 256 keeps K
    CHECK(type_of(m, "blk.3.ffn_down.weight") == GgmlType::q4_k);
}

TEST_CASE("Q8_0, F16 and BF16 recipes") {
    const ModelSpec q8 = synthesize_model(qwen7b(), FileType::q8_0);
    CHECK(counts(q8) == std::map<std::string, std::uint32_t>{{"f32", 141}, {"q8_0", 198}});
    const ModelSpec f16 = synthesize_model(qwen7b(), FileType::f16);
    CHECK(counts(f16) == std::map<std::string, std::uint32_t>{{"f16", 198}, {"f32", 141}});
    const ModelSpec bf16 = synthesize_model(qwen7b(), FileType::bf16);
    CHECK(type_of(bf16, "output.weight") == GgmlType::bf16);
}

TEST_CASE("Q6_K and Q5_K_S: the default type everywhere but the output") {
    const ModelSpec q6 = synthesize_model(qwen7b(), FileType::q6_k);
    CHECK(counts(q6) == std::map<std::string, std::uint32_t>{{"f32", 141}, {"q6_K", 198}});
    const ModelSpec q5s = synthesize_model(qwen7b(), FileType::q5_k_s);
    CHECK(counts(q5s) ==
          std::map<std::string, std::uint32_t>{{"f32", 141}, {"q5_K", 197}, {"q6_K", 1}});
    CHECK(type_of(q5s, "output.weight") == GgmlType::q6_k);
}

TEST_CASE("K-quant and IQ recipes per tensor role") {
    SECTION("Q4_K_S: attn_v of the first 4 layers and ffn_down of the first n/8 get Q5_K") {
        const ModelSpec m = synthesize_model(qwen7b(), FileType::q4_k_s);
        CHECK(type_of(m, "blk.3.attn_v.weight") == GgmlType::q5_k);
        CHECK(type_of(m, "blk.4.attn_v.weight") == GgmlType::q4_k);
        CHECK(type_of(m, "blk.2.ffn_down.weight") == GgmlType::q5_k); // 28 / 8 = 3
        CHECK(type_of(m, "blk.3.ffn_down.weight") == GgmlType::q4_k);
        CHECK(type_of(m, "output.weight") == GgmlType::q6_k);
    }
    SECTION("Q3_K_M") {
        const ModelSpec m = synthesize_model(qwen7b(), FileType::q3_k_m);
        CHECK(type_of(m, "blk.1.attn_v.weight") == GgmlType::q5_k);
        CHECK(type_of(m, "blk.2.attn_v.weight") == GgmlType::q4_k);
        CHECK(type_of(m, "blk.0.ffn_down.weight") == GgmlType::q5_k); // 28 / 16 = 1
        CHECK(type_of(m, "blk.1.ffn_down.weight") == GgmlType::q4_k);
        CHECK(type_of(m, "blk.9.attn_output.weight") == GgmlType::q4_k);
        CHECK(type_of(m, "blk.9.attn_q.weight") == GgmlType::q3_k);
    }
    SECTION("Q2_K: attn_v by GQA, ffn_down and attn_output up one step") {
        const ModelSpec m = synthesize_model(qwen7b(), FileType::q2_k); // n_gqa = 7
        CHECK(type_of(m, "blk.9.attn_v.weight") == GgmlType::q4_k);
        CHECK(type_of(m, "blk.9.ffn_down.weight") == GgmlType::q3_k);
        CHECK(type_of(m, "blk.9.attn_output.weight") == GgmlType::q3_k);
        CHECK(type_of(m, "blk.9.ffn_up.weight") == GgmlType::q2_k);
        const ModelSpec low_gqa = synthesize_model(qwen(4, 256, 4, 2, 512, 512, false),
                                                   FileType::q2_k); // n_gqa = 2
        CHECK(type_of(low_gqa, "blk.1.attn_v.weight") == GgmlType::q3_k);
    }
    SECTION("IQ4_XS without an imatrix") {
        const ModelSpec m = synthesize_model(qwen7b(), FileType::iq4_xs);
        CHECK(type_of(m, "blk.9.attn_v.weight") == GgmlType::q5_k);   // n_gqa >= 4
        CHECK(type_of(m, "blk.2.ffn_down.weight") == GgmlType::q5_k); // i < n/8
        CHECK(type_of(m, "blk.3.ffn_down.weight") == GgmlType::iq4_xs);
        CHECK(type_of(m, "output.weight") == GgmlType::q6_k);
    }
    SECTION("IQ4_XS with an imatrix keeps ffn_down") {
        const ModelSpec m = synthesize_model(qwen7b(), FileType::iq4_xs, RecipeOptions{true});
        CHECK(type_of(m, "blk.2.ffn_down.weight") == GgmlType::iq4_xs);
    }
    SECTION("Q4_0: Q4_1 in the first ffn_down layers only with an imatrix") {
        const ModelSpec plain = synthesize_model(qwen7b(), FileType::q4_0);
        CHECK(type_of(plain, "blk.0.ffn_down.weight") == GgmlType::q4_0);
        CHECK(type_of(plain, "output.weight") == GgmlType::q6_k);
        const ModelSpec im = synthesize_model(qwen7b(), FileType::q4_0, RecipeOptions{true});
        CHECK(type_of(im, "blk.0.ffn_down.weight") == GgmlType::q4_1);
        CHECK(type_of(im, "blk.3.ffn_down.weight") == GgmlType::q4_0);
    }
    SECTION("--pure skips the per-tensor rules but not the fallback") {
        const ModelSpec m =
            synthesize_model(qwen7b(), FileType::q4_k_m, RecipeOptions{false, true});
        CHECK(type_of(m, "output.weight") == GgmlType::q4_k);
        CHECK(type_of(m, "blk.0.attn_v.weight") == GgmlType::q4_k);
    }
    SECTION("an 80-layer model (LLM_TYPE_70B) gives attn_v Q5_K") {
        CatalogModel big = qwen(80, 1024, 8, 1, 2048, 1024, false);
        const ModelSpec m = synthesize_model(big, FileType::q4_k_s);
        CHECK(type_of(m, "blk.40.attn_v.weight") == GgmlType::q5_k);
    }
}

TEST_CASE("a falcon output tensor is always Q8_0") {
    std::vector<RecipeTensor> t(1);
    t[0].name = "output.weight";
    t[0].n_dims = 2;
    t[0].ne = {4096, 1000, 1, 1};
    t[0].source_type = GgmlType::f16;
    CHECK(choose_tensor_types(FileType::q4_k_m, RecipeModel{"falcon", 32, 64, 1}, t)[0] ==
          GgmlType::q8_0);
    CHECK(choose_tensor_types(FileType::q4_k_m, RecipeModel{"llama", 32, 64, 1}, t)[0] ==
          GgmlType::q6_k);
}
