#include <vramplan/base/error.hpp>
#include <vramplan/base/strings.hpp>
#include <vramplan/base/units.hpp>
#include <vramplan/model/synth.hpp>
#include <vramplan/runtime/calibrate.hpp>

#include <fmt/format.h>

#include <map>
#include <memory>

namespace vramplan {

namespace {

// A number from the GGUF metadata (`<arch>.<key>`) or the print_info field of the same meaning.
std::optional<std::uint32_t> number(const LlamaLog& log, const std::string& arch,
                                    const char* gguf_key, const char* info_key) {
    std::optional<std::uint64_t> v;
    if (const auto it = log.metadata.find(arch + "." + gguf_key); it != log.metadata.end()) {
        v = parse_unsigned(it->second);
    }
    if (!v) {
        if (const auto it = log.info.find(info_key); it != log.info.end()) {
            v = parse_unsigned(it->second);
        }
    }
    if (!v || *v > UINT32_MAX) {
        return std::nullopt;
    }
    return static_cast<std::uint32_t>(*v);
}

// general.file_type (llama_ftype), else print_info's name for it ("Q4_K - Medium").
std::optional<FileType> file_type_of(const LlamaLog& log) {
    if (const auto it = log.metadata.find("general.file_type"); it != log.metadata.end()) {
        if (const auto id = parse_unsigned(it->second); id && *id <= UINT32_MAX) {
            if (const FileTypeInfo* ft = find_file_type(static_cast<std::uint32_t>(*id))) {
                return ft->file_type;
            }
        }
    }
    for (const char* key : {"file type", "model ftype"}) {
        const auto it = log.info.find(key);
        if (it == log.info.end()) {
            continue;
        }
        std::string name = it->second;
        for (const auto& [words, suffix] :
             std::map<std::string, std::string>{{" - Medium", "_M"},
                                                {" - Small", "_S"},
                                                {" - Large", "_L"},
                                                {" - Extra small", "_XS"}}) {
            if (const auto at = name.find(words); at != std::string::npos) {
                name = name.substr(0, at) + suffix;
            }
        }
        if (const auto ft = parse_file_type(std::string(trim(name)))) {
            return ft;
        }
    }
    return std::nullopt;
}

std::string lower_dashed(std::string_view s) {
    std::string out = to_lower(s);
    for (char& c : out) {
        c = c == ' ' ? '-' : c;
    }
    return out;
}

ResolvedModel resolved(ModelSpec spec, const std::string& label, FileType ft) {
    ResolvedModel r;
    r.spec_ptr = std::make_shared<const ModelSpec>(std::move(spec));
    r.label = label;
    r.quant = std::string(file_type_name(ft));
    r.source = "log";
    r.file = label + "-" + r.quant + ".gguf";
    return r;
}

} // namespace

LogModel model_from_log(const LlamaLog& log, const Catalog& catalog) {
    std::string arch;
    if (const auto it = log.metadata.find("general.architecture"); it != log.metadata.end()) {
        arch = it->second;
    } else if (const auto jt = log.info.find("arch"); jt != log.info.end()) {
        arch = jt->second;
    } else {
        // Excerpts often keep "qwen2.block_count" without general.architecture: the prefix.
        for (const auto& [key, value] : log.metadata) {
            if (key.ends_with(".block_count")) {
                arch = key.substr(0, key.size() - 12);
            }
        }
    }
    ArchitectureParams a;
    a.arch = arch;
    const auto n_layer = number(log, arch, "block_count", "n_layer");
    const auto n_embd = number(log, arch, "embedding_length", "n_embd");
    const auto n_head = number(log, arch, "attention.head_count", "n_head");
    const auto n_head_kv = number(log, arch, "attention.head_count_kv", "n_head_kv");
    const auto n_ff = number(log, arch, "feed_forward_length", "n_ff");
    auto n_vocab = number(log, "tokenizer.ggml", "tokens", "n_vocab");
    const std::optional<FileType> ft = file_type_of(log);
    if (arch.empty() || !n_layer || !n_embd || !n_head || !n_head_kv || !n_ff || !n_vocab || !ft) {
        throw Error(ErrorKind::data, {},
                    "the log does not describe its model (architecture, layers, sizes and file "
                    "type from its llama_model_loader / print_info lines)",
                    "pass -m MODEL: the .gguf file, or its catalog name");
    }
    // The catalog's own bounds (catalog.cpp): a log is user input, and a mangled number must
    // not make the rebuilt model's tensor list huge.
    constexpr std::uint32_t k_max_width = 1U << 24;
    if (*n_layer > k_llama_max_layers || *n_embd > k_max_width || *n_ff > k_max_width ||
        *n_vocab > k_max_width || *n_head > 65536 || *n_head_kv > 65536) {
        throw Error(ErrorKind::data, {},
                    fmt::format("the log's model numbers are out of range ({} layers, embedding "
                                "{}, ffn {}, vocab {}, {}/{} heads)",
                                *n_layer, *n_embd, *n_ff, *n_vocab, *n_head, *n_head_kv),
                    "pass -m MODEL: the .gguf file, or its catalog name");
    }
    a.n_layer = *n_layer;
    a.n_embd = *n_embd;
    a.n_head = *n_head;
    a.n_head_kv = *n_head_kv;
    a.n_ff = *n_ff;
    a.n_vocab = *n_vocab;
    a.n_ctx_train = number(log, arch, "context_length", "n_ctx_train").value_or(0);
    a.head_dim = number(log, arch, "attention.key_length", "n_embd_head_k").value_or(0);
    a.sliding_window = number(log, arch, "attention.sliding_window", "n_swa").value_or(0);
    const auto general_name = log.metadata.find("general.name");
    const std::string wanted =
        general_name != log.metadata.end() ? lower_dashed(general_name->second) : std::string();

    // A catalog model of the same shape: the same buffers, whatever its name.
    const CatalogModel* same = nullptr;
    for (const auto& m : catalog.models()) {
        const ArchitectureParams& c = m.arch;
        const bool shape = c.arch == a.arch && c.n_layer == a.n_layer && c.n_embd == a.n_embd &&
                           c.n_head == a.n_head && c.n_head_kv == a.n_head_kv && c.n_ff == a.n_ff &&
                           c.n_vocab == a.n_vocab &&
                           (a.head_dim == 0 || c.head_dim_or_default() == a.head_dim);
        if (shape && (same == nullptr || m.name == wanted)) {
            same = &m;
        }
    }
    if (same != nullptr) {
        return {resolved(synthesize_model(*same, *ft), same->name, *ft),
                fmt::format("catalog {} at {}, matched by the log's architecture numbers",
                            same->name, file_type_name(*ft))};
    }
    if (!can_synthesize(arch)) {
        throw Error(ErrorKind::data, {},
                    fmt::format("the log's model ({}, {} layers) is not in the catalog and its "
                                "architecture '{}' cannot be rebuilt",
                                arch, a.n_layer, arch),
                    "pass -m MODEL.gguf (the file it loaded)");
    }
    // Rebuilt from the numbers: the variant (tied output, bias, rope tensors) whose tensor count
    // is the logged one.
    CatalogModel cm;
    cm.name = wanted.empty() ? arch + "-from-log" : wanted;
    cm.tokenizer = arch == "qwen2" ? "qwen2" : "llama";
    std::optional<ModelSpec> chosen;
    for (const bool tied : {false, true}) {
        for (const bool rope_freqs : {false, true}) {
            cm.arch = a;
            cm.arch.tied_output = tied;
            cm.arch.attention_bias = arch == "qwen2";
            cm.arch.rope_freqs = rope_freqs && arch == "llama";
            ModelSpec spec = synthesize_model(cm, *ft);
            if (!chosen || (log.n_tensors && spec.tensors.size() == *log.n_tensors)) {
                const bool exact_count = log.n_tensors && spec.tensors.size() == *log.n_tensors;
                chosen = std::move(spec);
                if (exact_count) {
                    return {resolved(std::move(*chosen), cm.name, *ft),
                            fmt::format("rebuilt from the log's numbers ({}, {} layers, {}{}) "
                                        "at {}",
                                        arch, a.n_layer, tied ? "tied output" : "own output",
                                        cm.arch.rope_freqs ? ", rope_freqs" : "",
                                        file_type_name(*ft))};
                }
            }
        }
    }
    return {resolved(std::move(*chosen), cm.name, *ft),
            fmt::format("rebuilt from the log's numbers ({}, {} layers) at {}; the tensor count "
                        "was not logged, an output layer of its own is assumed",
                        arch, a.n_layer, file_type_name(*ft))};
}

std::string CalibrationRow::predicted_mib() const {
    return predicted ? format_mib(*predicted) : std::string("none");
}

std::size_t Calibration::exact_rows() const {
    std::size_t n = 0;
    for (const auto& r : rows) {
        n += r.exact() ? 1U : 0U;
    }
    return n;
}

Calibration calibrate(const LlamaLog& log, const ModelSpec& model, const GpuProfile* gpu,
                      std::optional<std::uint64_t> measured_bytes) {
    Calibration c;
    c.settings = log_settings(log);
    c.logged_graph_nodes = log.graph_nodes;
    bool has_gpu_buffers = false;
    for (const auto& b : log.buffers) {
        has_gpu_buffers =
            has_gpu_buffers || b.on_gpu() || b.buffer.find("_Host") != std::string::npos;
    }
    GpuProfile generic;
    const GpuProfile* device = gpu != nullptr ? gpu : (has_gpu_buffers ? &generic : nullptr);
    const MemoryEstimate e = estimate_memory(model, c.settings, device);

    // Rows in the log's order; a buffer logged twice (an SWA cache's second KV line) pairs with
    // the estimate's second buffer of that name.
    std::vector<bool> used(e.buffers.size(), false);
    const auto take = [&](BufferKind kind,
                          const std::string& name) -> std::optional<std::uint64_t> {
        for (std::size_t i = 0; i < e.buffers.size(); ++i) {
            if (!used[i] && e.buffers[i].kind == kind && e.buffers[i].buffer == name) {
                used[i] = true;
                return e.buffers[i].bytes;
            }
        }
        return std::nullopt;
    };
    for (const auto& b : log.buffers) {
        auto predicted = take(b.kind, b.buffer);
        if (!predicted && b.kind == BufferKind::model && b.buffer == "CPU") {
            predicted = take(b.kind, "CPU_Mapped"); // its name before mid-2024 builds
        }
        CalibrationRow r{b.kind, b.buffer, b.on_gpu(), b.mib_text, predicted};
        c.rows.push_back(std::move(r));
    }
    for (std::size_t i = 0; i < e.buffers.size(); ++i) {
        const BufferEstimate& b = e.buffers[i];
        if (!used[i] && b.kind != BufferKind::runtime) {
            c.rows.push_back({b.kind, b.buffer, b.on_gpu, std::nullopt, b.bytes});
        }
    }
    c.logged_gpu_bytes = log.gpu_buffer_bytes();
    for (const auto& r : c.rows) {
        if (r.logged_mib && r.on_gpu && r.predicted) {
            c.predicted_gpu_bytes += *r.predicted;
        }
    }
    if (measured_bytes) {
        c.measured_bytes = measured_bytes;
        c.runtime_overhead_bytes = static_cast<std::int64_t>(*measured_bytes) -
                                   static_cast<std::int64_t>(c.logged_gpu_bytes);
    }
    return c;
}

std::string settings_flags(const ServerSettings& s) {
    std::string f = fmt::format("-ngl {} -c {} -b {} -ub {} -np {}", s.n_gpu_layers, s.n_ctx,
                                s.n_batch, s.n_ubatch, s.n_parallel);
    if (s.kv_unified.value_or(false)) {
        f += " -kvu";
    }
    if (s.flash_attn != FlashAttn::automatic) {
        f += s.flash_attn == FlashAttn::on ? " -fa on" : " -fa off";
    }
    if (s.type_k != GgmlType::f16 || s.type_v != GgmlType::f16) {
        f += fmt::format(" -ctk {} -ctv {}", type_name(s.type_k), type_name(s.type_v));
    }
    if (!s.mmap) {
        f += " --no-mmap";
    }
    return f;
}

} // namespace vramplan
