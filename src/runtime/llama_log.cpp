#include <vramplan/base/strings.hpp>
#include <vramplan/estimate/server_args.hpp>
#include <vramplan/runtime/llama_log.hpp>

#include <cctype>
#include <charconv>

namespace vramplan {

namespace {

bool has(std::string_view line, std::string_view token) {
    return line.find(token) != std::string_view::npos;
}

// The text after the first `token` in `line`.
std::optional<std::string_view> after(std::string_view line, std::string_view token) {
    const auto at = line.find(token);
    if (at == std::string_view::npos) {
        return std::nullopt;
    }
    return line.substr(at + token.size());
}

// The leading run of characters of `s` (after blanks) that satisfy `keep`.
template <typename Keep> std::string_view leading(std::string_view s, Keep keep) {
    s = s.substr(std::min(s.size(), s.find_first_not_of(" \t")));
    std::size_t n = 0;
    while (n < s.size() && keep(static_cast<unsigned char>(s[n]))) {
        ++n;
    }
    return s.substr(0, n);
}

std::optional<std::uint64_t> leading_uint(std::string_view s) {
    return parse_unsigned(leading(s, [](unsigned char c) { return std::isdigit(c) != 0; }));
}

std::optional<std::uint32_t> u32(std::optional<std::uint64_t> v) {
    if (!v || *v > UINT32_MAX) {
        return std::nullopt;
    }
    return static_cast<std::uint32_t>(*v);
}

// `name = value` where `name` stands as a word (so n_ctx does not match n_ctx_seq): the value,
// trimmed, up to a comma or a quote (a line quoted inside another program's log).
std::optional<std::string_view> field(std::string_view line, std::string_view name) {
    for (std::size_t at = line.find(name); at != std::string_view::npos;
         at = line.find(name, at + 1)) {
        const bool starts_word =
            at == 0 || line[at - 1] == ' ' || line[at - 1] == ':' || line[at - 1] == ',';
        std::string_view rest = line.substr(at + name.size());
        const std::size_t eq = rest.find_first_not_of(' ');
        if (!starts_word || eq == std::string_view::npos || rest[eq] != '=') {
            continue;
        }
        rest = trim(rest.substr(eq + 1));
        return trim(rest.substr(0, rest.find_first_of(",\"'")));
    }
    return std::nullopt;
}

std::optional<bool> flag_value(std::string_view v) {
    if (v == "1" || v == "true" || v == "enabled" || v == "on") {
        return true;
    }
    if (v == "0" || v == "false" || v == "disabled" || v == "off") {
        return false;
    }
    return std::nullopt; // "auto": resolved by a later line
}

// "<BUFFER> <kind> buffer size = X MiB" (kind: model, KV, compute, output) or the 2024 model
// line "llm_load_tensors: <BUFFER> buffer size = X MiB".
std::optional<LoggedBuffer> buffer_line(std::string_view line) {
    const auto at = line.find(" buffer size");
    if (at == std::string_view::npos) {
        return std::nullopt;
    }
    const std::string_view rest = trim(line.substr(at + 12));
    if (rest.empty() || rest.front() != '=') {
        return std::nullopt; // "buffer size is ..." (a destructor's check) and the like
    }
    const std::string_view mib =
        leading(rest.substr(1), [](unsigned char c) { return std::isdigit(c) != 0 || c == '.'; });
    if (mib.empty() || !has(rest, "MiB")) {
        return std::nullopt;
    }
    std::vector<std::string> words = split(trim(line.substr(0, at)), ' ');
    std::erase(words, std::string());
    if (words.empty()) {
        return std::nullopt;
    }
    LoggedBuffer b;
    b.mib_text = std::string(mib);
    const std::string& last = words.back();
    if (last == "model" || last == "KV" || last == "compute" || last == "output") {
        b.kind = last == "model"     ? BufferKind::model
                 : last == "KV"      ? BufferKind::kv
                 : last == "compute" ? BufferKind::compute
                                     : BufferKind::output;
        words.pop_back();
    } else if (has(line, "load_tensors:")) {
        b.kind = BufferKind::model; // llm_load_tensors: CPU buffer size = ...
    } else {
        return std::nullopt;
    }
    if (words.empty() || words.back().ends_with(':')) {
        return std::nullopt;
    }
    b.buffer = words.back();
    return b;
}

// The cache type in "K (f16):" / "V (q8_0):", or "type_k = 'f16'".
std::optional<GgmlType> cache_type(std::string_view line, char which) {
    const std::string paren = std::string(1, which) + " (";
    if (const auto r = after(line, paren)) {
        const auto name = leading(*r, [](unsigned char c) { return std::isalnum(c) || c == '_'; });
        return parse_cache_type(name);
    }
    const std::string quoted =
        std::string("type_") + static_cast<char>(std::tolower(which)) + " = '";
    if (const auto r = after(line, quoted)) {
        return parse_cache_type(r->substr(0, r->find('\'')));
    }
    return std::nullopt;
}

class Parser {
public:
    LlamaLog log;

    void line(std::string_view l, std::uint64_t number) {
        ++log.lines;
        const std::uint64_t before = m_used;
        model_lines(l);
        context_lines(l);
        if (auto b = buffer_line(l)) {
            b->line = number;
            log.buffers.push_back(std::move(*b));
            ++m_used;
        }
        device_lines(l);
        log.lines_used += m_used > before ? 1U : 0U;
    }

private:
    std::uint64_t m_used = 0;

    void use() { ++m_used; }

    void reset_context() {
        log.n_ctx.reset();
        log.n_ctx_seq.reset();
        log.n_batch.reset();
        log.n_ubatch.reset();
        log.n_seq_max.reset();
        log.n_outputs_max.reset();
        log.flash_attn.reset();
        log.kv_unified.reset();
        log.type_k.reset();
        log.type_v.reset();
        log.graph_nodes.reset();
        log.graph_splits.reset();
        std::erase_if(log.buffers,
                      [](const LoggedBuffer& b) { return b.kind != BufferKind::model; });
    }

    void model_lines(std::string_view l) {
        if (const auto r = after(l, "loaded meta data with")) {
            // A new model: what came before belonged to another load.
            const std::string gpu = log.gpu_name;
            const std::uint64_t lines = log.lines;
            const std::uint64_t used = log.lines_used;
            log = LlamaLog{};
            log.gpu_name = gpu;
            log.lines = lines;
            log.lines_used = used;
            if (const auto t = after(*r, "pairs and")) {
                log.n_tensors = leading_uint(*t);
            }
            if (const auto from = after(*r, " tensors from ")) {
                log.model_path = std::string(trim(from->substr(0, from->find(" (version"))));
            }
            use();
            return;
        }
        if (const auto r = after(l, "llama_model_loader: - kv")) {
            const auto colon = r->find(':');
            if (colon == std::string_view::npos) {
                return;
            }
            std::string_view rest = trim(r->substr(colon + 1));
            const auto eq = rest.find('=');
            if (eq == std::string_view::npos) {
                return;
            }
            std::vector<std::string> words = split(trim(rest.substr(0, eq)), ' ');
            std::erase(words, std::string());
            if (words.size() < 2) {
                return;
            }
            std::string value(trim(rest.substr(eq + 1)));
            const std::string& type = words[1];
            if (type.starts_with("arr[")) { // arr[str,152064]: keep the length
                const auto comma = type.find(',');
                value = type.substr(comma + 1, type.size() - comma - 2);
            }
            log.metadata[words[0]] = value;
            use();
            return;
        }
        if (const auto r = after(l, "llama_model_loader: - type")) {
            const std::string_view rest = trim(*r);
            const auto colon = rest.find(':');
            if (colon != std::string_view::npos) {
                if (const auto n = leading_uint(rest.substr(colon + 1))) {
                    log.type_counts[std::string(trim(rest.substr(0, colon)))] = *n;
                    use();
                }
            }
            return;
        }
        for (const std::string_view tag : {"print_info:", "llm_load_print_meta:"}) {
            if (const auto r = after(l, tag)) {
                const auto eq = r->find('=');
                if (eq != std::string_view::npos) {
                    log.info[std::string(trim(r->substr(0, eq)))] =
                        std::string(trim(r->substr(eq + 1)));
                    use();
                }
                return;
            }
        }
        if (const auto r = after(l, "offloaded ")) {
            if (has(*r, "layers to GPU")) {
                const auto slash = r->find('/');
                log.layers_offloaded = u32(leading_uint(*r));
                if (slash != std::string_view::npos) {
                    log.layers_total = u32(leading_uint(r->substr(slash + 1)));
                }
                use();
            }
        }
        if (has(l, "(mmap = true)") || has(l, "load_mode = mmap")) {
            log.mmap = true;
            use();
        } else if (has(l, "(mmap = false)") || has(l, "load_mode = ")) {
            log.mmap = false;
            use();
        }
    }

    void context_lines(std::string_view l) {
        const bool context = has(l, "llama_context:") || has(l, "llama_new_context_with_model:");
        if (has(l, "constructing llama_context")) {
            reset_context();
            use();
            return;
        }
        if (context) {
            if (const auto v = field(l, "n_ctx")) {
                if (log.n_ctx) {
                    reset_context(); // a second context in a log without "constructing"
                }
                log.n_ctx = u32(parse_unsigned(*v));
                use();
            }
            const auto set = [&](std::string_view name, std::optional<std::uint32_t>& to) {
                if (const auto v = field(l, name)) {
                    to = u32(parse_unsigned(*v));
                    use();
                }
            };
            set("n_ctx_seq", log.n_ctx_seq);
            set("n_ctx_per_seq", log.n_ctx_seq);
            set("n_batch", log.n_batch);
            set("n_ubatch", log.n_ubatch);
            set("n_seq_max", log.n_seq_max);
            set("n_outputs_max", log.n_outputs_max);
            if (const auto v = field(l, "flash_attn")) {
                log.flash_attn = flag_value(*v);
                use();
            }
            if (const auto v = field(l, "kv_unified")) {
                log.kv_unified = flag_value(*v);
                use();
            }
        }
        if (const auto r = after(l, "Flash Attention was auto, set to ")) {
            log.flash_attn = r->starts_with("enabled");
            use();
        }
        if (has(l, "KV") || has(l, "kv_cache") || has(l, "type_k")) {
            if (const auto k = cache_type(l, 'K')) {
                log.type_k = k;
                use();
            }
            if (const auto v = cache_type(l, 'V')) {
                log.type_v = v;
                use();
            }
        }
        // "graph nodes  = 959", "graph splits = 2", "graph: nodes = 1446, splits = 1"
        if (has(l, "graph")) {
            if (const auto v = field(l, "nodes")) {
                log.graph_nodes = parse_unsigned(*v);
                use();
            }
            if (const auto v = field(l, "splits")) {
                log.graph_splits = parse_unsigned(*v);
                use();
            }
        }
    }

    void device_lines(std::string_view l) {
        // "using device CUDA0 (NVIDIA GeForce RTX 3060) (0000:01:00.0) - 10958 MiB free"
        if (const auto r = after(l, "using device ")) {
            const auto open = r->find('(');
            const auto close = r->find(')');
            if (open != std::string_view::npos && close != std::string_view::npos && open < close) {
                log.gpu_name = std::string(r->substr(open + 1, close - open - 1));
                use();
            }
            return;
        }
        // ggml_cuda_init: "  Device 0: NVIDIA GeForce RTX 4050 Laptop GPU, compute capability 8.9"
        if (const auto r = after(l, "Device 0: ")) {
            if (has(*r, "compute capability")) {
                log.gpu_name = std::string(trim(r->substr(0, r->find(','))));
                use();
            }
            return;
        }
        // ollama: description="NVIDIA GeForce RTX 3060"
        if (const auto r = after(l, "description=\"")) {
            if (log.gpu_name.empty()) {
                log.gpu_name = std::string(r->substr(0, r->find('"')));
                use();
            }
        }
    }
};

} // namespace

double LoggedBuffer::mib() const {
    double v = 0;
    std::from_chars(mib_text.data(), mib_text.data() + mib_text.size(), v);
    return v;
}

bool LoggedBuffer::on_gpu() const {
    if (buffer.find("_Host") != std::string::npos || buffer.starts_with("CPU")) {
        return false;
    }
    for (const std::string_view gpu : {"CUDA", "ROCm", "Vulkan", "Metal", "SYCL", "MUSA"}) {
        if (buffer.starts_with(gpu)) {
            return true;
        }
    }
    return false;
}

std::uint64_t LlamaLog::gpu_buffer_bytes() const {
    double mib = 0;
    for (const auto& b : buffers) {
        mib += b.on_gpu() ? b.mib() : 0;
    }
    return static_cast<std::uint64_t>(mib * 1048576.0 + 0.5);
}

LlamaLog parse_llama_log(std::string_view text) {
    Parser p;
    std::uint64_t n = 0;
    for (const std::string_view l : lines_of(text)) {
        p.line(l, ++n);
    }
    return std::move(p.log);
}

ServerSettings log_settings(const LlamaLog& log) {
    ServerSettings s;
    s.n_gpu_layers = static_cast<int>(log.layers_offloaded.value_or(0));
    s.n_ctx = log.n_ctx.value_or(0);
    s.n_batch = log.n_batch.value_or(s.n_batch);
    s.n_ubatch = log.n_ubatch.value_or(std::min(s.n_ubatch, s.n_batch));
    s.n_parallel = static_cast<int>(log.n_seq_max.value_or(1));
    s.kv_unified = log.kv_unified.value_or(false);
    if (log.flash_attn) {
        s.flash_attn = *log.flash_attn ? FlashAttn::on : FlashAttn::off;
    }
    s.type_k = log.type_k.value_or(GgmlType::f16);
    s.type_v = log.type_v.value_or(GgmlType::f16);
    s.mmap = log.mmap.value_or(true);
    s.n_outputs_max = log.n_outputs_max.value_or(0);
    return s;
}

} // namespace vramplan
