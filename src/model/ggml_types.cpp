#include <vramplan/base/error.hpp>
#include <vramplan/model/ggml_types.hpp>

#include <algorithm>
#include <array>
#include <cctype>

namespace vramplan {

namespace {

// Block sizes from ggml-common.h (block_q4_K = 2 halves + 12 scale bytes + 128 quant bytes, ...).
constexpr std::array k_types{
    GgmlTypeTraits{GgmlType::f32, "f32", 1, 4, false},
    GgmlTypeTraits{GgmlType::f16, "f16", 1, 2, false},
    GgmlTypeTraits{GgmlType::q4_0, "q4_0", 32, 18, true},
    GgmlTypeTraits{GgmlType::q4_1, "q4_1", 32, 20, true},
    GgmlTypeTraits{GgmlType::q5_0, "q5_0", 32, 22, true},
    GgmlTypeTraits{GgmlType::q5_1, "q5_1", 32, 24, true},
    GgmlTypeTraits{GgmlType::q8_0, "q8_0", 32, 34, true},
    GgmlTypeTraits{GgmlType::q8_1, "q8_1", 32, 36, true},
    GgmlTypeTraits{GgmlType::q2_k, "q2_K", 256, 84, true},
    GgmlTypeTraits{GgmlType::q3_k, "q3_K", 256, 110, true},
    GgmlTypeTraits{GgmlType::q4_k, "q4_K", 256, 144, true},
    GgmlTypeTraits{GgmlType::q5_k, "q5_K", 256, 176, true},
    GgmlTypeTraits{GgmlType::q6_k, "q6_K", 256, 210, true},
    GgmlTypeTraits{GgmlType::q8_k, "q8_K", 256, 292, true},
    GgmlTypeTraits{GgmlType::iq2_xxs, "iq2_xxs", 256, 66, true},
    GgmlTypeTraits{GgmlType::iq2_xs, "iq2_xs", 256, 74, true},
    GgmlTypeTraits{GgmlType::iq3_xxs, "iq3_xxs", 256, 98, true},
    GgmlTypeTraits{GgmlType::iq1_s, "iq1_s", 256, 50, true},
    GgmlTypeTraits{GgmlType::iq4_nl, "iq4_nl", 32, 18, true},
    GgmlTypeTraits{GgmlType::iq3_s, "iq3_s", 256, 110, true},
    GgmlTypeTraits{GgmlType::iq2_s, "iq2_s", 256, 82, true},
    GgmlTypeTraits{GgmlType::iq4_xs, "iq4_xs", 256, 136, true},
    GgmlTypeTraits{GgmlType::i8, "i8", 1, 1, false},
    GgmlTypeTraits{GgmlType::i16, "i16", 1, 2, false},
    GgmlTypeTraits{GgmlType::i32, "i32", 1, 4, false},
    GgmlTypeTraits{GgmlType::i64, "i64", 1, 8, false},
    GgmlTypeTraits{GgmlType::f64, "f64", 1, 8, false},
    GgmlTypeTraits{GgmlType::iq1_m, "iq1_m", 256, 56, true},
    GgmlTypeTraits{GgmlType::bf16, "bf16", 1, 2, false},
    GgmlTypeTraits{GgmlType::tq1_0, "tq1_0", 256, 54, true},
    GgmlTypeTraits{GgmlType::tq2_0, "tq2_0", 256, 66, true},
    GgmlTypeTraits{GgmlType::mxfp4, "mxfp4", 32, 17, true},
    GgmlTypeTraits{GgmlType::nvfp4, "nvfp4", 64, 36, true},
    GgmlTypeTraits{GgmlType::q1_0, "q1_0", 128, 18, true},
    GgmlTypeTraits{GgmlType::q2_0, "q2_0", 64, 18, true},
};

bool iequals(std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return std::tolower(static_cast<unsigned char>(x)) ==
                      std::tolower(static_cast<unsigned char>(y));
           });
}

} // namespace

std::span<const GgmlTypeTraits> all_ggml_types() {
    return k_types;
}

const GgmlTypeTraits* find_ggml_type(std::uint32_t id) {
    for (const auto& t : k_types) {
        if (static_cast<std::uint32_t>(t.type) == id) {
            return &t;
        }
    }
    return nullptr;
}

const GgmlTypeTraits& traits(GgmlType type) {
    const GgmlTypeTraits* t = find_ggml_type(static_cast<std::uint32_t>(type));
    if (t == nullptr) {
        throw Error(ErrorKind::internal, {},
                    "ggml type id " + std::to_string(static_cast<std::uint32_t>(type)) +
                        " has no traits");
    }
    return *t;
}

std::optional<GgmlType> parse_ggml_type(std::string_view name) {
    for (const auto& t : k_types) {
        if (iequals(t.name, name)) {
            return t.type;
        }
    }
    return std::nullopt;
}

std::uint64_t row_bytes(GgmlType type, std::uint64_t ne0) {
    const GgmlTypeTraits& t = traits(type);
    if (ne0 % t.block_elems != 0) {
        throw Error(ErrorKind::data, {},
                    "row of " + std::to_string(ne0) + " elements is not a multiple of the " +
                        std::string(t.name) + " block size " + std::to_string(t.block_elems));
    }
    std::uint64_t r = 0;
    if (__builtin_mul_overflow(ne0 / t.block_elems, std::uint64_t{t.block_bytes}, &r)) {
        throw Error(ErrorKind::data, {}, "row size overflows 64 bits");
    }
    return r;
}

std::uint64_t tensor_bytes(GgmlType type, std::span<const std::uint64_t> ne) {
    if (ne.empty()) {
        return traits(type).block_bytes;
    }
    std::uint64_t total = row_bytes(type, ne[0]);
    for (std::size_t i = 1; i < ne.size(); ++i) {
        if (__builtin_mul_overflow(total, ne[i], &total)) {
            throw Error(ErrorKind::data, {}, "tensor size overflows 64 bits");
        }
    }
    return total;
}

} // namespace vramplan
