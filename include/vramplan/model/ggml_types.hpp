#pragma once
// Every ggml tensor type: id, name, elements per block, bytes per block (ggml's type_traits and
// the block structs of ggml-common.h; docs/memory-model.md section "Type table").

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace vramplan {

enum class GgmlType : std::uint32_t {
    f32 = 0,
    f16 = 1,
    q4_0 = 2,
    q4_1 = 3,
    q5_0 = 6,
    q5_1 = 7,
    q8_0 = 8,
    q8_1 = 9,
    q2_k = 10,
    q3_k = 11,
    q4_k = 12,
    q5_k = 13,
    q6_k = 14,
    q8_k = 15,
    iq2_xxs = 16,
    iq2_xs = 17,
    iq3_xxs = 18,
    iq1_s = 19,
    iq4_nl = 20,
    iq3_s = 21,
    iq2_s = 22,
    iq4_xs = 23,
    i8 = 24,
    i16 = 25,
    i32 = 26,
    i64 = 27,
    f64 = 28,
    iq1_m = 29,
    bf16 = 30,
    tq1_0 = 34,
    tq2_0 = 35,
    mxfp4 = 39,
    nvfp4 = 40,
    q1_0 = 41,
    q2_0 = 42,
};

struct GgmlTypeTraits {
    GgmlType type;
    std::string_view name; // ggml's own spelling, as llama.cpp logs it ("q4_K", "bf16")
    std::uint32_t block_elems;
    std::uint32_t block_bytes;
    bool quantized; // ggml_is_quantized
};

// All known types in id order.
std::span<const GgmlTypeTraits> all_ggml_types();

// The traits of a type id read from a file, or nullptr for an unknown or removed id.
const GgmlTypeTraits* find_ggml_type(std::uint32_t id);

const GgmlTypeTraits& traits(GgmlType type);
inline std::string_view type_name(GgmlType type) {
    return traits(type).name;
}

// Case-insensitive lookup by name ("Q8_0", "q4_k", "F16"); nullopt when unknown.
std::optional<GgmlType> parse_ggml_type(std::string_view name);

// Bytes of one row of `ne0` elements (ggml_row_size). Throws ErrorKind::data when ne0 is not a
// multiple of the block size.
std::uint64_t row_bytes(GgmlType type, std::uint64_t ne0);

// Bytes of a contiguous tensor with dimensions `ne` (ggml_nbytes). Throws on a partial block
// or 64-bit overflow.
std::uint64_t tensor_bytes(GgmlType type, std::span<const std::uint64_t> ne);

} // namespace vramplan
