#include <vramplan/base/error.hpp>
#include <vramplan/estimate/context.hpp>

#include <fmt/format.h>

#include <algorithm>

namespace vramplan {

namespace {

// GGML_PAD, in 64 bits: a context near 2^32 must not wrap to 0 on its way up.
std::uint64_t pad(std::uint64_t x, std::uint64_t n) {
    return (x + n - 1) / n * n;
}

// llama-cparams.h: llama_context refuses more sequences than this.
constexpr std::uint32_t k_llama_max_seq = 256;

// llama.cpp keeps cell counts in uint32_t; a context past this is beyond any real model and
// would overflow there (a hostile GGUF can declare a training context of 2^32 - 1).
constexpr std::uint64_t k_max_context = std::uint64_t{1} << 31;

std::uint32_t checked_context(std::uint64_t n) {
    if (n > k_max_context) {
        throw Error(ErrorKind::usage, "-c",
                    fmt::format("a context of {} tokens is beyond what llama.cpp can address", n),
                    "pass a smaller -c");
    }
    return static_cast<std::uint32_t>(n);
}

} // namespace

ContextParams resolve_context(const ModelSpec& m, const ServerSettings& s) {
    ContextParams c;
    // tools/server: -np auto gives 4 slots and a unified cache.
    if (s.n_parallel < 0) {
        c.n_seq_max = 4;
        c.kv_unified = s.kv_unified.value_or(true);
    } else {
        c.n_seq_max = static_cast<std::uint32_t>(std::max(1, s.n_parallel));
        c.kv_unified = s.kv_unified.value_or(false);
    }
    if (c.n_seq_max > k_llama_max_seq) {
        throw Error(ErrorKind::usage, "-np",
                    fmt::format("{} sequences: n_seq_max must be <= {}; llama.cpp refuses to "
                                "create the context",
                                c.n_seq_max, k_llama_max_seq),
                    fmt::format("pass -np {} or fewer", k_llama_max_seq));
    }
    const std::uint32_t requested = s.n_ctx == 0 ? m.n_ctx_train : s.n_ctx;
    if (requested == 0) {
        throw Error(ErrorKind::usage, "-c", "the context size is 0 and the model declares none",
                    "pass -c N");
    }
    // llama_context: n_ctx padded to 256; per-sequence cells padded again when not unified.
    c.n_ctx = checked_context(pad(requested, 256));
    if (c.kv_unified) {
        c.n_ctx_seq = c.n_ctx;
    } else {
        c.n_ctx_seq = checked_context(pad(c.n_ctx / c.n_seq_max, 256));
        c.n_ctx = checked_context(std::uint64_t{c.n_ctx_seq} * c.n_seq_max);
    }
    c.n_stream = c.kv_unified ? 1 : c.n_seq_max;
    c.n_batch = std::min(c.n_ctx, s.n_batch);
    c.n_ubatch = std::min(c.n_batch, s.n_ubatch);
    c.n_outputs_max = s.n_outputs_max == 0 ? c.n_batch : s.n_outputs_max;
    // Flash attention "auto" resolves to on when the attention runs where its layer's KV is,
    // which holds for the backends we model (CPU and CUDA).
    c.flash_attn = s.flash_attn != FlashAttn::off;
    c.type_k = s.type_k;
    c.type_v = s.type_v;
    if (traits(c.type_v).quantized && !c.flash_attn) {
        throw Error(ErrorKind::usage, "-ctv",
                    "a quantized V cache requires flash attention; llama.cpp refuses to create "
                    "the context",
                    "use -fa on (or auto), or -ctv f16");
    }
    c.kv_size = c.n_ctx_seq;
    if (m.n_swa > 0 &&
        std::any_of(m.swa_layers.begin(), m.swa_layers.end(), [](bool b) { return b; })) {
        // llama_kv_cache_iswa: the window, for every sequence when unified, plus a ubatch.
        const std::uint64_t window =
            std::uint64_t{m.n_swa} * (c.kv_unified ? c.n_seq_max : 1) + c.n_ubatch;
        c.kv_size_swa = s.swa_full
                            ? c.kv_size
                            : checked_context(pad(std::min<std::uint64_t>(c.kv_size, window), 256));
    }
    return c;
}

} // namespace vramplan
