#pragma once
// Builds GGUF bytes in memory for tests (our answer to bloaty's yaml2obj): well-formed files via
// the library's GgufWriter, and raw byte helpers for files that are malformed on purpose.

#include <vramplan/model/catalog.hpp>
#include <vramplan/model/gguf_writer.hpp>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>
#include <vector>

namespace vramplan::test {

// Header followed by a zeroed data section, as a complete file.
inline std::vector<std::byte> file_bytes(const GgufWriter& w) {
    std::vector<std::byte> out = w.header();
    out.resize(out.size() + static_cast<std::size_t>(w.data_bytes()), std::byte{0});
    return out;
}

// Little-endian raw writers for hand-made (often malformed) headers.
struct RawBytes {
    std::vector<std::byte> b;

    template <typename T> RawBytes& put(T v) {
        const auto* p = reinterpret_cast<const std::byte*>(&v);
        b.insert(b.end(), p, p + sizeof(T));
        return *this;
    }
    RawBytes& str(std::string_view s) {
        put<std::uint64_t>(s.size());
        const auto* p = reinterpret_cast<const std::byte*>(s.data());
        b.insert(b.end(), p, p + s.size());
        return *this;
    }
    // GGUF v3 preamble: magic, version, tensor count, kv count.
    RawBytes& preamble(std::uint64_t n_tensors, std::uint64_t n_kv, std::uint32_t version = 3) {
        put<std::uint32_t>(0x46554747);
        put<std::uint32_t>(version);
        put<std::uint64_t>(n_tensors);
        put<std::uint64_t>(n_kv);
        return *this;
    }
};

// A 4-layer llama small enough to write in full (the shape of the validation set's tiny-llama).
inline CatalogModel tiny_llama() {
    CatalogModel m;
    m.name = "tiny-llama";
    m.display_name = "Tiny Llama test";
    m.tokenizer = "llama3";
    m.arch.arch = "llama";
    m.arch.n_layer = 4;
    m.arch.n_embd = 256;
    m.arch.n_head = 4;
    m.arch.n_head_kv = 2;
    m.arch.n_ff = 768;
    m.arch.n_vocab = 512;
    m.arch.n_ctx_train = 4096;
    m.files.push_back(
        {"tiny-llama-Q4_K_M.gguf", FileType::q4_k_m, std::nullopt, "test", "", "", false});
    return m;
}

} // namespace vramplan::test
