#include <vramplan/base/error.hpp>
#include <vramplan/model/ggml_types.hpp>

#include <catch2/catch.hpp>

#include <array>
#include <set>

using namespace vramplan;

TEST_CASE("ggml type table: block sizes of ggml-common.h") {
    // (type, elements per block, bytes per block) from the memory model's section 2.1.
    struct Row {
        GgmlType t;
        std::uint32_t elems, bytes;
    };
    const std::array rows{
        Row{GgmlType::f32, 1, 4},        Row{GgmlType::f16, 1, 2},
        Row{GgmlType::bf16, 1, 2},       Row{GgmlType::q4_0, 32, 18},
        Row{GgmlType::q4_1, 32, 20},     Row{GgmlType::q5_0, 32, 22},
        Row{GgmlType::q5_1, 32, 24},     Row{GgmlType::q8_0, 32, 34},
        Row{GgmlType::q8_1, 32, 36},     Row{GgmlType::q2_k, 256, 84},
        Row{GgmlType::q3_k, 256, 110},   Row{GgmlType::q4_k, 256, 144},
        Row{GgmlType::q5_k, 256, 176},   Row{GgmlType::q6_k, 256, 210},
        Row{GgmlType::q8_k, 256, 292},   Row{GgmlType::iq2_xxs, 256, 66},
        Row{GgmlType::iq2_xs, 256, 74},  Row{GgmlType::iq3_xxs, 256, 98},
        Row{GgmlType::iq1_s, 256, 50},   Row{GgmlType::iq4_nl, 32, 18},
        Row{GgmlType::iq3_s, 256, 110},  Row{GgmlType::iq2_s, 256, 82},
        Row{GgmlType::iq4_xs, 256, 136}, Row{GgmlType::iq1_m, 256, 56},
        Row{GgmlType::tq1_0, 256, 54},   Row{GgmlType::tq2_0, 256, 66},
        Row{GgmlType::mxfp4, 32, 17},    Row{GgmlType::nvfp4, 64, 36},
        Row{GgmlType::q1_0, 128, 18},    Row{GgmlType::q2_0, 64, 18},
        Row{GgmlType::i8, 1, 1},         Row{GgmlType::i16, 1, 2},
        Row{GgmlType::i32, 1, 4},        Row{GgmlType::i64, 1, 8},
        Row{GgmlType::f64, 1, 8},
    };
    for (const auto& r : rows) {
        INFO(type_name(r.t));
        CHECK(traits(r.t).block_elems == r.elems);
        CHECK(traits(r.t).block_bytes == r.bytes);
    }
    CHECK(all_ggml_types().size() == rows.size());
}

TEST_CASE("removed and unknown type ids have no traits") {
    for (std::uint32_t id : {4U, 5U, 31U, 32U, 33U, 36U, 37U, 38U, 43U, 1000U}) {
        INFO(id);
        CHECK(find_ggml_type(id) == nullptr);
    }
}

TEST_CASE("type names: ggml spelling, case-insensitive lookup") {
    CHECK(type_name(GgmlType::q4_k) == "q4_K");
    CHECK(parse_ggml_type("Q4_K") == GgmlType::q4_k);
    CHECK(parse_ggml_type("q8_0") == GgmlType::q8_0);
    CHECK(parse_ggml_type("BF16") == GgmlType::bf16);
    CHECK_FALSE(parse_ggml_type("q4_k_m").has_value());
    std::set<std::string_view> names;
    for (const auto& t : all_ggml_types()) {
        CHECK(names.insert(t.name).second);
    }
}

TEST_CASE("row and tensor bytes") {
    CHECK(row_bytes(GgmlType::q4_k, 3584) == 3584 / 256 * 144);
    CHECK(row_bytes(GgmlType::f32, 7) == 28);
    // Qwen2.5-7B token_embd at Q4_K: 3584 x 152064.
    const std::array<std::uint64_t, 2> embd{3584, 152064};
    CHECK(tensor_bytes(GgmlType::q4_k, embd) == 306561024ULL);
    CHECK_THROWS_AS(row_bytes(GgmlType::q4_k, 896), Error); // 896 % 256 != 0
    const std::array<std::uint64_t, 3> huge{256, 1ULL << 40, 1ULL << 30};
    CHECK_THROWS_AS(tensor_bytes(GgmlType::q4_k, huge), Error);
}
