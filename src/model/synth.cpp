#include <vramplan/base/error.hpp>
#include <vramplan/model/synth.hpp>

#include <algorithm>

namespace vramplan {

namespace {

std::uint64_t pad32(std::uint64_t x) {
    return (x + k_gguf_default_alignment - 1) / k_gguf_default_alignment * k_gguf_default_alignment;
}

RecipeModel recipe_model(const ArchitectureParams& a) {
    // llama-model.cpp load_hparams maps 80-layer llama/qwen2 models to LLM_TYPE_70B.
    const bool is_70b = (a.arch == "llama" || a.arch == "qwen2") && a.n_layer == 80;
    return RecipeModel{a.arch, a.n_layer, a.n_head, a.n_head_kv, 0, is_70b};
}

struct TokenizerFamily {
    std::string_view pre; // tokenizer.ggml.pre
    std::vector<std::string_view> specials;
    std::size_t bos, eos, pad; // indices into specials
    bool add_bos;
};

TokenizerFamily tokenizer_family(std::string_view name) {
    if (name == "qwen2") {
        return {"qwen2", {"<|endoftext|>", "<|im_start|>", "<|im_end|>"}, 0, 2, 0, false};
    }
    if (name == "llama3") {
        return {"llama-bpe", {"<|begin_of_text|>", "<|end_of_text|>", "<|eot_id|>"}, 0, 2, 1, true};
    }
    return {"default", {"<s>", "</s>", "<unk>"}, 0, 1, 2, true};
}

// GPT-2's byte-to-unicode table: printable bytes map to themselves, the rest to U+0100 onwards.
std::vector<std::string> byte_tokens() {
    std::vector<std::string> out(256);
    int next = 256;
    for (int b = 0; b < 256; ++b) {
        const bool printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || b >= 0xAE;
        const int cp = printable ? b : next++;
        std::string s;
        if (cp < 0x80) {
            s.push_back(static_cast<char>(cp));
        } else {
            s.push_back(static_cast<char>(0xC0 | (cp >> 6)));
            s.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
        }
        out[static_cast<std::size_t>(b)] = s;
    }
    return out;
}

} // namespace

ModelSpec synthesize_model(const CatalogModel& model, FileType ft, const RecipeOptions& options,
                           TensorOrder order) {
    const ArchitectureParams& a = model.arch;
    std::vector<LayoutTensor> layout;
    try {
        layout = tensor_layout(a);
    } catch (const Error& e) {
        throw e.within(model.source_path.empty() ? model.name : model.source_path);
    } // tensor_layout gives the converter's order; F16/BF16/F32 files come from the converter,
    // quantized ones from llama-quantize.
    if (order == TensorOrder::by_file_type) {
        order = traits(info(ft).default_type).quantized ? TensorOrder::llama_quantize
                                                        : TensorOrder::converter;
    }
    if (order == TensorOrder::llama_quantize) {
        std::stable_sort(layout.begin(), layout.end(), [](const auto& x, const auto& y) {
            return weight_order_less(x.name, y.name);
        });
    }

    std::vector<RecipeTensor> recipe(layout.size());
    for (std::size_t i = 0; i < layout.size(); ++i) {
        RecipeTensor& r = recipe[i];
        r.name = layout[i].name;
        r.n_dims = static_cast<std::uint32_t>(layout[i].ne.size());
        std::copy(layout[i].ne.begin(), layout[i].ne.end(), r.ne.begin());
        r.source_type = r.n_dims < 2 ? GgmlType::f32 : GgmlType::f16;
    }
    const std::vector<GgmlType> types = choose_tensor_types(ft, recipe_model(a), recipe, options);

    ModelSpec m;
    m.name = model.name;
    m.architecture = a.arch;
    m.file_type = ft;
    m.n_layer = a.n_layer;
    m.n_embd = a.n_embd;
    m.n_vocab = a.n_vocab;
    m.n_ctx_train = a.n_ctx_train;
    m.n_embd_head_k = m.n_embd_head_v = a.head_dim_or_default();
    m.n_head.assign(a.n_layer, a.n_head);
    m.n_head_kv.assign(a.n_layer, a.n_head_kv);
    m.n_ff.assign(a.n_layer, a.n_ff);
    m.n_swa = a.arch == "phi3" ? 0 : a.sliding_window;
    m.swa_layers.assign(a.n_layer, false);
    if (m.n_swa > 0 && a.arch == "gemma2") {
        for (std::uint32_t i = 0; i < a.n_layer; ++i) {
            m.swa_layers[i] = i % 2 == 0;
        }
    }
    m.tied_output = a.tied_output;

    std::uint64_t offset = 0;
    for (std::size_t i = 0; i < layout.size(); ++i) {
        TensorSpec t;
        t.name = layout[i].name;
        t.layer = tensor_layer(t.name, a.n_layer);
        t.type = types[i];
        t.ne = recipe[i].ne;
        t.n_dims = recipe[i].n_dims;
        t.bytes = tensor_bytes(t.type, layout[i].ne);
        t.offset = offset;
        offset = pad32(offset + t.bytes);
        m.tensors.push_back(std::move(t));
    }
    m.files.push_back({std::string{}, offset, 0, k_gguf_default_alignment});
    return m;
}

GgufWriter synthesized_gguf(const CatalogModel& model, const ModelSpec& spec) {
    const ArchitectureParams& a = model.arch;
    const std::string p = a.arch + ".";
    GgufWriter w;
    w.add_string("general.architecture", a.arch);
    w.add_string("general.type", "model");
    w.add_string("general.name", model.display_name);
    if (spec.file_type) {
        w.add_u32("general.file_type", static_cast<std::uint32_t>(*spec.file_type));
    }
    w.add_u32("general.quantization_version", 2);
    w.add_bool("vramplan.synthesized", true);
    w.add_u32(p + "block_count", a.n_layer);
    w.add_u32(p + "context_length", a.n_ctx_train);
    w.add_u32(p + "embedding_length", a.n_embd);
    w.add_u32(p + "feed_forward_length", a.n_ff);
    w.add_u32(p + "attention.head_count", a.n_head);
    w.add_u32(p + "attention.head_count_kv", a.n_head_kv);
    w.add_f32(p + "attention.layer_norm_rms_epsilon", model.norm_eps);
    w.add_f32(p + "rope.freq_base", model.rope_freq_base);
    if (a.head_dim != 0) {
        w.add_u32(p + "attention.key_length", a.head_dim);
        w.add_u32(p + "attention.value_length", a.head_dim);
    }
    if (a.n_rot != 0 || a.arch == "llama") {
        w.add_u32(p + "rope.dimension_count", a.n_rot_or_default());
    }
    if (a.arch == "llama") {
        w.add_u32(p + "vocab_size", a.n_vocab);
    }
    if (a.sliding_window != 0) {
        w.add_u32(p + "attention.sliding_window", a.sliding_window);
    }

    // A valid byte-level BPE vocabulary of exactly n_vocab tokens: 256 byte tokens, fillers, and
    // the family's special tokens last.
    const TokenizerFamily fam = tokenizer_family(model.tokenizer);
    std::vector<std::string> tokens = byte_tokens();
    const std::size_t n_vocab = a.n_vocab;
    if (n_vocab < tokens.size() + fam.specials.size()) {
        throw Error(ErrorKind::data, model.source_path,
                    "vocab is too small for a synthesized tokenizer (needs 259 or more)");
    }
    const std::size_t first_special = n_vocab - fam.specials.size();
    tokens.reserve(n_vocab);
    while (tokens.size() < first_special) {
        tokens.push_back("[tok" + std::to_string(tokens.size()) + "]");
    }
    for (auto s : fam.specials) {
        tokens.emplace_back(s);
    }
    std::vector<std::int32_t> token_types(n_vocab, 1);
    std::fill(token_types.begin() + static_cast<std::ptrdiff_t>(first_special), token_types.end(),
              3);
    const std::vector<std::string> merges{"\xC4\xA0 t", "\xC4\xA0 a", "h e", "i n"};
    w.add_string("tokenizer.ggml.model", "gpt2");
    w.add_string("tokenizer.ggml.pre", fam.pre);
    w.add_string_array("tokenizer.ggml.tokens", tokens);
    w.add_i32_array("tokenizer.ggml.token_type", token_types);
    w.add_string_array("tokenizer.ggml.merges", merges);
    w.add_u32("tokenizer.ggml.bos_token_id", static_cast<std::uint32_t>(first_special + fam.bos));
    w.add_u32("tokenizer.ggml.eos_token_id", static_cast<std::uint32_t>(first_special + fam.eos));
    w.add_u32("tokenizer.ggml.padding_token_id",
              static_cast<std::uint32_t>(first_special + fam.pad));
    w.add_bool("tokenizer.ggml.add_bos_token", fam.add_bos);

    for (const auto& t : spec.tensors) {
        w.add_tensor(t.name, t.type, std::span(t.ne.data(), t.n_dims));
    }
    return w;
}

} // namespace vramplan
