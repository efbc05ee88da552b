#pragma once
// Writes well-formed GGUF v3 headers, the inverse of parse_gguf. Tensor data is not written:
// write_sparse_gguf leaves it as a hole (all zeros), so a 7B-shaped file costs its header on disk.

#include <vramplan/model/ggml_types.hpp>
#include <vramplan/model/gguf.hpp>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace vramplan {

class GgufWriter {
public:
    explicit GgufWriter(std::uint32_t alignment = k_gguf_default_alignment);

    void add_u16(std::string_view key, std::uint16_t v);
    void add_u32(std::string_view key, std::uint32_t v);
    void add_i32(std::string_view key, std::int32_t v);
    void add_u64(std::string_view key, std::uint64_t v);
    void add_f32(std::string_view key, float v);
    void add_bool(std::string_view key, bool v);
    void add_string(std::string_view key, std::string_view v);
    void add_string_array(std::string_view key, std::span<const std::string> values);
    void add_i32_array(std::string_view key, std::span<const std::int32_t> values);
    void add_f32_array(std::string_view key, std::span<const float> values);

    // Appends a tensor; its data offset is the padded sum of the tensors before it.
    void add_tensor(std::string_view name, GgmlType type, std::span<const std::uint64_t> ne);

    // Header bytes padded to the data section start.
    std::vector<std::byte> header() const;
    // Padded size of the data section.
    std::uint64_t data_bytes() const { return m_data_bytes; }
    std::uint32_t alignment() const { return m_alignment; }

    // Low-level access for tests that build malformed files on purpose.
    void append_raw_kv(std::span<const std::byte> encoded);

private:
    void key(std::string_view k, GgufValueType type);

    std::uint32_t m_alignment;
    std::uint64_t m_kv_count = 0;
    std::vector<std::byte> m_kvs;
    std::uint64_t m_tensor_count = 0;
    std::vector<std::byte> m_tensors;
    std::uint64_t m_data_bytes = 0;
};

// Writes header + a sparse data section of data_bytes() to `path` atomically (a temporary file in
// the same folder, renamed into place). Refuses to replace an existing file unless `overwrite`.
void write_sparse_gguf(const GgufWriter& writer, const std::filesystem::path& path, bool overwrite);

} // namespace vramplan
