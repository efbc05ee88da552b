#pragma once
// Reading GGUF v2/v3 headers (ggml's gguf.cpp format): typed metadata, including nested arrays,
// and the tensor table. Tensor data is never read. Strings are views into the file's bytes, which
// GgufFile keeps alive.

#include <vramplan/model/ggml_types.hpp>

#include <array>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace vramplan {

enum class GgufValueType : std::uint32_t {
    u8 = 0,
    i8 = 1,
    u16 = 2,
    i16 = 3,
    u32 = 4,
    i32 = 5,
    f32 = 6,
    boolean = 7,
    string = 8,
    array = 9,
    u64 = 10,
    i64 = 11,
    f64 = 12,
};

std::string_view gguf_type_name(GgufValueType type);

inline constexpr std::uint32_t k_gguf_default_alignment = 32; // GGUF_DEFAULT_ALIGNMENT
inline constexpr std::uint32_t k_ggml_max_dims = 4;           // GGML_MAX_DIMS
inline constexpr std::size_t k_ggml_max_name = 64;            // GGML_MAX_NAME, with the NUL
inline constexpr int k_gguf_max_array_depth = 8;              // ours: bounds recursion

struct GgufValue;

struct GgufArray {
    GgufValueType elem_type{};
    std::uint64_t count = 0;
    std::span<const std::byte> raw;        // fixed-size elements, count * element size bytes
    std::vector<std::string_view> strings; // elem_type == string
    std::vector<GgufValue> arrays;         // elem_type == array (nested arrays)

    // Element i of an integer array as an unsigned value; throws ErrorKind::data when the
    // element type is not an integer or the value is negative.
    std::uint64_t uint_at(std::uint64_t i) const;
    // Element i of a boolean or integer array as a truth value.
    bool bool_at(std::uint64_t i) const;
};

struct GgufValue {
    GgufValueType type{};
    std::variant<std::uint64_t, std::int64_t, double, bool, std::string_view, GgufArray> data;

    bool is_integer() const;
    // Integer value (any width, signed or not) as uint64; throws ErrorKind::data otherwise.
    std::uint64_t as_uint(std::string_view key) const;
    double as_float(std::string_view key) const;
    bool as_bool(std::string_view key) const;
    std::string_view as_string(std::string_view key) const;
    const GgufArray& as_array(std::string_view key) const;
};

struct GgufKv {
    std::string_view key;
    GgufValue value;
    std::uint64_t offset = 0; // where the key starts in the file
};

struct GgufTensorInfo {
    std::string_view name;
    std::uint32_t n_dims = 0;
    std::array<std::uint64_t, k_ggml_max_dims> ne{1, 1, 1, 1};
    GgmlType type{};
    std::uint64_t offset = 0;      // relative to the data section, as stored
    std::uint64_t bytes = 0;       // ggml_nbytes
    std::uint64_t info_offset = 0; // where this entry of the tensor table starts
};

struct GgufFile {
    std::uint32_t version = 0;
    std::uint32_t alignment = k_gguf_default_alignment;
    std::uint64_t data_offset = 0; // absolute start of tensor data == header size, padded
    std::uint64_t data_bytes = 0;  // sum of padded tensor sizes
    std::uint64_t file_size = 0;
    std::vector<GgufKv> kvs;
    std::vector<GgufTensorInfo> tensors;
    std::shared_ptr<const void> storage; // keeps the bytes behind every view alive

    const GgufValue* find(std::string_view key) const;
};

// Parses a GGUF header from `bytes`. `file_size` is the whole file's size when `bytes` holds only
// a prefix (default: bytes.size()); every tensor's data must lie within it. Throws
// ErrorKind::format with the byte offset of the first problem; never reads outside `bytes`.
GgufFile parse_gguf(std::span<const std::byte> bytes,
                    std::optional<std::uint64_t> file_size = std::nullopt);

// Takes ownership of `bytes` (a whole file) and parses them: the result's views stay valid.
// Passing a temporary vector picks this overload, so it cannot dangle.
GgufFile parse_gguf(std::vector<std::byte>&& bytes);

// Maps `path` and parses it; errors are prefixed with the path.
GgufFile read_gguf(const std::filesystem::path& path);

} // namespace vramplan
