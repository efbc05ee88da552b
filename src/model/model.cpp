// Reads architecture numbers the way llama.cpp's llama_model::load_hparams reads them: keys are
// "<arch>.<name>", per-layer values may be scalars or arrays of n_layer, and defaults follow
// llama-hparams (head_count_kv defaults to head_count, key/value_length to n_embd / n_head).

#include <vramplan/base/error.hpp>
#include <vramplan/base/strings.hpp>
#include <vramplan/model/model.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <set>

namespace vramplan {

namespace {

class MetadataReader {
public:
    MetadataReader(const GgufFile& f, std::string arch) : m_f(f), m_arch(std::move(arch)) {}

    std::string key(std::string_view suffix) const { return m_arch + "." + std::string(suffix); }

    const GgufValue* find(std::string_view suffix) const { return m_f.find(key(suffix)); }

    std::uint32_t u32(std::string_view suffix, std::optional<std::uint32_t> fallback) const {
        const std::string k = key(suffix);
        const GgufValue* v = m_f.find(k);
        if (v == nullptr) {
            if (!fallback) {
                throw Error(ErrorKind::format, k, "required metadata key is missing");
            }
            return *fallback;
        }
        return narrow(v->as_uint(k), k);
    }

    // A per-layer value: a scalar applies to every layer; an array must have n_layer entries.
    std::vector<std::uint32_t> per_layer(std::string_view suffix, std::uint32_t n_layer,
                                         std::optional<std::uint32_t> fallback) const {
        const std::string k = key(suffix);
        const GgufValue* v = m_f.find(k);
        if (v != nullptr && v->type == GgufValueType::array) {
            const GgufArray& a = v->as_array(k);
            if (a.count != n_layer) {
                throw Error(ErrorKind::format, k,
                            fmt::format("has {} entries for {} layers", a.count, n_layer));
            }
            std::vector<std::uint32_t> out(n_layer);
            for (std::uint32_t i = 0; i < n_layer; ++i) {
                out[i] = narrow(a.uint_at(i), k);
            }
            return out;
        }
        return std::vector<std::uint32_t>(n_layer, u32(suffix, fallback));
    }

private:
    static std::uint32_t narrow(std::uint64_t v, const std::string& k) {
        if (v > UINT32_MAX) {
            throw Error(ErrorKind::format, k, fmt::format("value {} does not fit 32 bits", v));
        }
        return static_cast<std::uint32_t>(v);
    }

    const GgufFile& m_f;
    std::string m_arch;
};

// llama.cpp hard-codes the sliding-window layer pattern of some architectures
// (llama_hparams::set_swa_pattern in llama-model.cpp load_hparams): layer il uses the window
// when il % n < n - 1.
std::uint32_t default_swa_pattern(std::string_view arch) {
    if (arch == "gemma2") {
        return 2;
    }
    if (arch == "gemma3") {
        return 6;
    }
    if (arch == "cohere2") {
        return 4;
    }
    return 0;
}

} // namespace

int tensor_layer(std::string_view name, std::uint32_t n_layer) {
    const int block = weight_layer(name);
    if (block >= 0) {
        return block;
    }
    const auto dot = name.find('.');
    const std::string_view base = name.substr(0, dot);
    if (base == "output" || base == "output_norm" || base == "cls" || base == "cls_out") {
        return static_cast<int>(n_layer);
    }
    if (base == "rope_freqs" || base == "rope_factors_long" || base == "rope_factors_short") {
        return k_layer_shared;
    }
    return k_layer_input;
}

std::uint64_t ModelSpec::tensor_bytes() const {
    std::uint64_t total = 0;
    for (const auto& t : tensors) {
        total += t.bytes;
    }
    return total;
}

std::uint64_t ModelSpec::file_bytes() const {
    std::uint64_t total = 0;
    for (const auto& f : files) {
        total += f.file_size;
    }
    return total;
}

ModelSpec model_from_gguf(std::span<const GgufFile> parts, std::span<const std::string> paths) {
    if (parts.empty()) {
        throw Error(ErrorKind::internal, {}, "model_from_gguf needs at least one file");
    }
    const GgufFile& head = parts.front();
    ModelSpec m;
    const GgufValue* arch = head.find("general.architecture");
    if (arch == nullptr) {
        throw Error(ErrorKind::format, "general.architecture", "required metadata key is missing");
    }
    m.architecture = std::string(arch->as_string("general.architecture"));
    if (const GgufValue* n = head.find("general.name")) {
        m.name = std::string(n->as_string("general.name"));
    }
    if (const GgufValue* ft = head.find("general.file_type")) {
        if (const FileTypeInfo* fi =
                find_file_type(static_cast<std::uint32_t>(ft->as_uint("general.file_type")))) {
            m.file_type = fi->file_type;
        }
    }

    const MetadataReader md(head, m.architecture);
    m.n_layer = md.u32("block_count", std::nullopt);
    if (m.n_layer == 0 || m.n_layer > k_llama_max_layers) {
        throw Error(ErrorKind::format, md.key("block_count"),
                    fmt::format("{} blocks; llama.cpp accepts 1 to {} (LLAMA_MAX_LAYERS)",
                                m.n_layer, k_llama_max_layers));
    }
    m.n_embd = md.u32("embedding_length", std::nullopt);
    m.n_ctx_train = md.u32("context_length", 0U);
    m.n_head = md.per_layer("attention.head_count", m.n_layer, std::nullopt);
    m.n_head_kv =
        md.per_layer("attention.head_count_kv", m.n_layer, m.n_head.empty() ? 0U : m.n_head[0]);
    m.n_ff = md.per_layer("feed_forward_length", m.n_layer, 0U);
    const std::uint32_t head0 = m.n_head.empty() ? 0U : m.n_head[0];
    const std::uint32_t head_dim = head0 != 0 ? m.n_embd / head0 : 0U;
    m.n_embd_head_k = md.u32("attention.key_length", head_dim);
    m.n_embd_head_v = md.u32("attention.value_length", head_dim);
    m.n_expert = md.u32("expert_count", 0U);
    m.n_expert_used = md.u32("expert_used_count", 0U);

    // Vocabulary: the tokenizer's token list, else <arch>.vocab_size.
    if (const GgufValue* tokens = head.find("tokenizer.ggml.tokens")) {
        const GgufArray& a = tokens->as_array("tokenizer.ggml.tokens");
        m.n_vocab = static_cast<std::uint32_t>(std::min<std::uint64_t>(a.count, UINT32_MAX));
    } else {
        m.n_vocab = md.u32("vocab_size", 0U);
    }

    // Sliding window: the pattern key when the file has one, else llama.cpp's built-in pattern.
    if (m.architecture != "phi3") { // llama.cpp ignores phi3's sliding_window (it warns)
        m.n_swa = md.u32("attention.sliding_window", 0U);
    }
    m.swa_layers.assign(m.n_layer, false);
    if (m.n_swa > 0) {
        const GgufValue* pattern = md.find("attention.sliding_window_pattern");
        if (pattern != nullptr && pattern->type == GgufValueType::array) {
            const GgufArray& a = pattern->as_array(md.key("attention.sliding_window_pattern"));
            for (std::uint32_t i = 0; i < m.n_layer && i < a.count; ++i) {
                m.swa_layers[i] = a.bool_at(i);
            }
        } else {
            const std::uint32_t n = pattern != nullptr
                                        ? md.u32("attention.sliding_window_pattern", 0U)
                                        : default_swa_pattern(m.architecture);
            for (std::uint32_t i = 0; i < m.n_layer; ++i) {
                m.swa_layers[i] = n == 0 || (i % n) < n - 1;
            }
        }
    }

    bool has_output = false;
    for (std::size_t p = 0; p < parts.size(); ++p) {
        const GgufFile& f = parts[p];
        m.files.push_back(
            {p < paths.size() ? paths[p] : std::string{}, f.file_size, f.data_offset, f.alignment});
        for (const auto& ti : f.tensors) {
            TensorSpec t;
            t.name = std::string(ti.name);
            t.layer = tensor_layer(ti.name, m.n_layer);
            if (t.layer >= 0 && t.layer > static_cast<int>(m.n_layer)) {
                throw Error(ErrorKind::format, t.name,
                            fmt::format("block index is beyond block_count {}", m.n_layer));
            }
            t.type = ti.type;
            t.ne = ti.ne;
            t.n_dims = ti.n_dims;
            t.bytes = ti.bytes;
            t.file_index = static_cast<std::uint32_t>(p);
            t.offset = ti.offset;
            has_output = has_output || t.name == "output.weight";
            m.tensors.push_back(std::move(t));
        }
    }
    m.tied_output = !has_output;
    if (m.n_vocab == 0) {
        for (const auto& t : m.tensors) {
            if (t.name == "token_embd.weight" && t.n_dims >= 2) {
                m.n_vocab = static_cast<std::uint32_t>(t.ne[1]);
            }
        }
    }
    return m;
}

namespace {

// "PREFIX-00002-of-00003.gguf" (llama_split_prefix's naming): the prefix and the part count, or
// nullopt for any other name. Read from the end, in linear time: a path can be long.
std::optional<std::pair<std::string, int>> split_name(const std::string& p) {
    constexpr std::string_view k_tail = ".gguf";
    constexpr std::size_t k_suffix = 1 + 5 + 4 + 5; // "-NNNNN-of-NNNNN"
    if (p.size() < k_suffix + k_tail.size() || !p.ends_with(k_tail)) {
        return std::nullopt;
    }
    const std::string_view s =
        std::string_view(p).substr(p.size() - k_tail.size() - k_suffix, k_suffix);
    const auto digits = [](std::string_view d) {
        return std::all_of(d.begin(), d.end(), [](char c) { return c >= '0' && c <= '9'; });
    };
    if (s[0] != '-' || !digits(s.substr(1, 5)) || s.substr(6, 4) != "-of-" ||
        !digits(s.substr(10, 5))) {
        return std::nullopt;
    }
    return std::pair{p.substr(0, p.size() - k_tail.size() - k_suffix),
                     static_cast<int>(*parse_integer(s.substr(10, 5)))};
}

// llama_model_loader's checks across the parts of a split model: every part agrees on
// split.count and numbers itself in order, and no tensor is in two parts.
void check_split_parts(const std::vector<GgufFile>& parts, const std::vector<std::string>& paths) {
    std::set<std::string_view> seen;
    for (std::size_t i = 0; i < parts.size(); ++i) {
        if (parts.size() > 1) {
            const GgufValue* count = parts[i].find("split.count");
            const GgufValue* no = parts[i].find("split.no");
            if (count == nullptr || count->as_uint("split.count") != parts.size() ||
                no == nullptr || no->as_uint("split.no") != i) {
                throw Error(ErrorKind::format, paths[i],
                            fmt::format("this part does not say it is part {} of {} "
                                        "(split.no, split.count)",
                                        i + 1, parts.size()),
                            "the parts must come from one llama-gguf-split run");
            }
        }
        for (const auto& t : parts[i].tensors) {
            if (!seen.insert(t.name).second) {
                throw Error(ErrorKind::format, paths[i],
                            fmt::format("tensor {} is duplicated", quote_value(t.name)),
                            "llama.cpp refuses a model whose parts repeat a tensor");
            }
        }
    }
}

} // namespace

ModelSpec read_model(const std::filesystem::path& path) {
    const std::string p = path.string();
    std::vector<std::string> paths;
    if (const auto split = split_name(p)) {
        const int count = split->second;
        if (count < 1) {
            throw Error(ErrorKind::usage, p, "split count in the file name is 0");
        }
        for (int i = 1; i <= count; ++i) {
            paths.push_back(fmt::format("{}-{:05d}-of-{:05d}.gguf", split->first, i, count));
        }
    } else {
        paths.push_back(p);
    }

    std::vector<GgufFile> parts;
    parts.reserve(paths.size());
    for (const auto& part : paths) {
        parts.push_back(read_gguf(part));
    }
    if (const GgufValue* count = parts.front().find("split.count")) {
        const std::uint64_t n = count->as_uint("split.count");
        if (n != parts.size()) {
            throw Error(
                ErrorKind::format, paths.front(),
                fmt::format("split.count is {} but {} part(s) were found by name", n, parts.size()),
                "pass the first part, named like model-00001-of-00003.gguf");
        }
    }
    check_split_parts(parts, paths);
    try {
        return model_from_gguf(parts, paths);
    } catch (const Error& e) {
        throw e.within(paths.front());
    }
}

std::vector<LayerBytes> bytes_by_layer(const ModelSpec& m) {
    std::map<int, LayerBytes> by;
    for (const auto& t : m.tensors) {
        LayerBytes& lb = by[t.layer];
        lb.layer = t.layer;
        ++lb.tensors;
        lb.bytes += t.bytes;
    }
    std::vector<LayerBytes> out;
    for (int key : {k_layer_input, k_layer_shared}) {
        if (auto it = by.find(key); it != by.end()) {
            out.push_back(it->second);
            by.erase(it);
        }
    }
    for (const auto& [layer, lb] : by) {
        out.push_back(lb);
    }
    return out;
}

std::vector<TypeCount> type_mix(const ModelSpec& m) {
    std::map<std::uint32_t, TypeCount> by;
    for (const auto& t : m.tensors) {
        TypeCount& tc = by[static_cast<std::uint32_t>(t.type)];
        tc.type = t.type;
        ++tc.tensors;
        tc.bytes += t.bytes;
    }
    std::vector<TypeCount> out;
    for (const auto& [id, tc] : by) {
        out.push_back(tc);
    }
    return out;
}

} // namespace vramplan
