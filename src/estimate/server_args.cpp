#include <vramplan/base/error.hpp>
#include <vramplan/base/numbers.hpp>
#include <vramplan/base/strings.hpp>
#include <vramplan/estimate/server_args.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <climits>
#include <functional>

namespace vramplan {

namespace {

struct Flag {
    std::vector<std::string_view> names;
    const char* env; // LLAMA_ARG_* name, or nullptr
    bool takes_value;
    std::function<void(ServerArgs&, const std::string& value, const std::string& flag)> apply;
};

// common/arg.cpp reads integer flags with std::stoi: llama-server refuses a value outside int's
// range, so vramplan does too rather than wrapping it.
int to_int(const std::string& v, const std::string& flag, int min) {
    return static_cast<int>(checked_integer(v, min, INT_MAX, flag));
}

std::uint32_t to_u32(const std::string& v, const std::string& flag, int min = 0) {
    return static_cast<std::uint32_t>(to_int(v, flag, min));
}

bool to_bool(const std::string& v, const std::string& flag) {
    if (v == "1" || v == "true" || v == "on" || v == "enabled") {
        return true;
    }
    if (v == "0" || v == "false" || v == "off" || v == "disabled") {
        return false;
    }
    throw Error(ErrorKind::usage, flag, fmt::format("expected on or off, found '{}'", v));
}

} // namespace

int parse_n_gpu_layers(const std::string& v, const std::string& flag) {
    if (v == "auto") {
        return ServerSettings::k_layers_auto;
    }
    if (v == "all") {
        return ServerSettings::k_layers_all;
    }
    if (!parse_integer(v)) {
        throw Error(ErrorKind::usage, flag,
                    fmt::format("expected a layer count, all or auto, found {}", quote_value(v)));
    }
    const int n = to_int(v, flag, -1);
    return n < 0 ? ServerSettings::k_layers_auto : n;
}

namespace {

GgmlType cache_type(const std::string& v, const std::string& flag) {
    if (const auto t = parse_cache_type(v)) {
        return *t;
    }
    throw Error(ErrorKind::usage, flag, fmt::format("unknown cache type '{}'", v),
                "llama-server accepts f32, f16, bf16, q8_0, q4_0, q4_1, iq4_nl, q5_0, q5_1");
}

const std::vector<Flag>& flags() {
    static const std::vector<Flag> table{
        {{"-m", "--model"},
         "LLAMA_ARG_MODEL",
         true,
         [](ServerArgs& a, const std::string& v, const std::string&) { a.model = v; }},
        {{"-ngl", "--gpu-layers", "--n-gpu-layers"},
         "LLAMA_ARG_N_GPU_LAYERS",
         true,
         [](ServerArgs& a, const std::string& v, const std::string& f) {
             a.settings.n_gpu_layers = parse_n_gpu_layers(v, f);
         }},
        {{"-c", "--ctx-size"},
         "LLAMA_ARG_CTX_SIZE",
         true,
         [](ServerArgs& a, const std::string& v, const std::string& f) {
             a.settings.n_ctx = to_u32(v, f);
         }},
        {{"-b", "--batch-size"},
         "LLAMA_ARG_BATCH",
         true,
         [](ServerArgs& a, const std::string& v, const std::string& f) {
             a.settings.n_batch = to_u32(v, f, 1);
         }},
        {{"-ub", "--ubatch-size"},
         "LLAMA_ARG_UBATCH",
         true,
         [](ServerArgs& a, const std::string& v, const std::string& f) {
             a.settings.n_ubatch = to_u32(v, f, 1);
         }},
        {{"-np", "--parallel"},
         "LLAMA_ARG_N_PARALLEL",
         true,
         [](ServerArgs& a, const std::string& v, const std::string& f) {
             // tools/server's -np: -1 is auto, 0 is refused ("invalid value for n_parallel").
             a.settings.n_parallel = to_int(v, f, -1);
             if (a.settings.n_parallel == 0) {
                 throw Error(ErrorKind::usage, f, "invalid value for n_parallel: 0",
                             "llama-server needs at least one slot; -1 picks them itself");
             }
         }},
        {{"-kvu", "--kv-unified"},
         "LLAMA_ARG_KV_UNIFIED",
         false,
         [](ServerArgs& a, const std::string&, const std::string&) {
             a.settings.kv_unified = true;
         }},
        {{"-no-kvu", "--no-kv-unified"},
         nullptr,
         false,
         [](ServerArgs& a, const std::string&, const std::string&) {
             a.settings.kv_unified = false;
         }},
        {{"-fa", "--flash-attn"},
         "LLAMA_ARG_FLASH_ATTN",
         true,
         [](ServerArgs& a, const std::string& v, const std::string& f) {
             a.settings.flash_attn = v == "auto"     ? FlashAttn::automatic
                                     : to_bool(v, f) ? FlashAttn::on
                                                     : FlashAttn::off;
         }},
        {{"-ctk", "--cache-type-k"},
         "LLAMA_ARG_CACHE_TYPE_K",
         true,
         [](ServerArgs& a, const std::string& v, const std::string& f) {
             a.settings.type_k = cache_type(v, f);
         }},
        {{"-ctv", "--cache-type-v"},
         "LLAMA_ARG_CACHE_TYPE_V",
         true,
         [](ServerArgs& a, const std::string& v, const std::string& f) {
             a.settings.type_v = cache_type(v, f);
         }},
        {{"-nkvo", "--no-kv-offload"},
         "LLAMA_ARG_NO_KV_OFFLOAD",
         false,
         [](ServerArgs& a, const std::string&, const std::string&) {
             a.settings.kv_offload = false;
         }},
        {{"-kvo", "--kv-offload"},
         "LLAMA_ARG_KV_OFFLOAD",
         false,
         [](ServerArgs& a, const std::string&, const std::string&) {
             a.settings.kv_offload = true;
         }},
        {{"--no-mmap"},
         "LLAMA_ARG_NO_MMAP",
         false,
         [](ServerArgs& a, const std::string&, const std::string&) { a.settings.mmap = false; }},
        {{"--mmap"},
         "LLAMA_ARG_MMAP",
         false,
         [](ServerArgs& a, const std::string&, const std::string&) { a.settings.mmap = true; }},
        {{"--swa-full"},
         "LLAMA_ARG_SWA_FULL",
         false,
         [](ServerArgs& a, const std::string&, const std::string&) { a.settings.swa_full = true; }},
        {{"--no-repack", "-nr"},
         "LLAMA_ARG_NO_REPACK",
         false,
         [](ServerArgs& a, const std::string&, const std::string&) {
             a.settings.cpu_repack = false;
         }},
        {{"-md", "--model-draft", "--spec-draft-model"},
         "LLAMA_ARG_MODEL_DRAFT",
         true,
         [](ServerArgs& a, const std::string& v, const std::string&) { a.draft_model = v; }},
        {{"-ngld", "--gpu-layers-draft", "--n-gpu-layers-draft", "--spec-draft-ngl"},
         "LLAMA_ARG_N_GPU_LAYERS_DRAFT",
         true,
         [](ServerArgs& a, const std::string& v, const std::string& f) {
             a.draft_gpu_layers = parse_n_gpu_layers(v, f);
         }},
        {{"-hf", "-hfr", "--hf-repo"},
         "LLAMA_ARG_HF_REPO",
         true,
         [](ServerArgs& a, const std::string& v, const std::string&) { a.hf_repo = v; }},
        {{"-fit", "--fit"},
         "LLAMA_ARG_FIT",
         true,
         [](ServerArgs& a, const std::string& v, const std::string& f) { a.fit = to_bool(v, f); }},
        {{"-mm", "--mmproj"},
         "LLAMA_ARG_MMPROJ",
         true,
         [](ServerArgs& a, const std::string& v, const std::string&) { a.mmproj = v; }},
    };
    return table;
}

const Flag* find_flag(std::string_view name) {
    for (const auto& f : flags()) {
        if (std::find(f.names.begin(), f.names.end(), name) != f.names.end()) {
            return &f;
        }
    }
    return nullptr;
}

bool looks_like_flag(const std::string& s) {
    if (s.size() < 2 || s[0] != '-') {
        return false;
    }
    return !(std::isdigit(static_cast<unsigned char>(s[1])) != 0); // "-1" is a value
}

} // namespace

std::optional<GgmlType> parse_cache_type(std::string_view name) {
    static constexpr std::array allowed{GgmlType::f32,    GgmlType::f16,  GgmlType::bf16,
                                        GgmlType::q8_0,   GgmlType::q4_0, GgmlType::q4_1,
                                        GgmlType::iq4_nl, GgmlType::q5_0, GgmlType::q5_1};
    const auto t = parse_ggml_type(name);
    if (t && std::find(allowed.begin(), allowed.end(), *t) != allowed.end()) {
        return t;
    }
    return std::nullopt;
}

ServerArgs parse_server_args(std::span<const std::string> args,
                             const std::map<std::string, std::string>& env) {
    ServerArgs out;
    for (const auto& f : flags()) {
        if (f.env == nullptr) {
            continue;
        }
        if (auto it = env.find(f.env); it != env.end()) {
            if (f.takes_value) {
                f.apply(out, it->second, f.env);
            } else if (to_bool(it->second, f.env)) {
                f.apply(out, it->second, f.env);
            }
        }
    }

    std::size_t i = 0;
    if (!args.empty() && (args[0] == "llama-server" || args[0].ends_with("/llama-server"))) {
        i = 1;
    }
    for (; i < args.size(); ++i) {
        std::string name = args[i];
        std::optional<std::string> inline_value;
        if (const auto eq = name.find('='); name.starts_with("--") && eq != std::string::npos) {
            inline_value = name.substr(eq + 1);
            name = name.substr(0, eq);
        }
        const Flag* f = find_flag(name);
        if (f == nullptr) {
            // Not a memory setting: keep it, with the value that follows it, as ignored.
            std::string ignored = args[i];
            if (!inline_value && i + 1 < args.size() && !looks_like_flag(args[i + 1])) {
                ignored += " " + args[++i];
            }
            out.ignored.push_back(ignored);
            continue;
        }
        std::string value;
        if (f->takes_value) {
            if (inline_value) {
                value = *inline_value;
            } else if (name == "-fa" || name == "--flash-attn") {
                // Older builds took -fa alone for "on".
                if (i + 1 < args.size() && !looks_like_flag(args[i + 1])) {
                    value = args[++i];
                } else {
                    value = "on";
                }
            } else if (i + 1 < args.size()) {
                value = args[++i];
            } else {
                throw Error(ErrorKind::usage, name, "expects a value");
            }
        }
        f->apply(out, value, name);
    }
    return out;
}

} // namespace vramplan
