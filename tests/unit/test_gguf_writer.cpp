#include "support/gguf_builder.hpp"

#include <vramplan/model/gguf.hpp>
#include <vramplan/model/gguf_writer.hpp>

#include <catch2/catch.hpp>

#include <array>

using namespace vramplan;

TEST_CASE("GgufWriter output parses back to what was written") {
    GgufWriter w;
    w.add_string("general.architecture", "qwen2");
    w.add_u32("qwen2.block_count", 2);
    const std::array<std::uint64_t, 2> m{512, 3};
    const std::array<std::uint64_t, 1> v{5};
    w.add_tensor("x.weight", GgmlType::q8_0, m);
    w.add_tensor("y.bias", GgmlType::f32, v);
    w.add_tensor("z.weight", GgmlType::q6_k, std::array<std::uint64_t, 2>{256, 2});
    const GgufFile f = parse_gguf(test::file_bytes(w));
    REQUIRE(f.tensors.size() == 3);
    CHECK(f.tensors[0].bytes == 3 * 16 * 34);
    CHECK(f.tensors[1].offset == 1632);       // 1632 = 51 * 32
    CHECK(f.tensors[2].offset == 1632 + 32);  // 20 bytes of f32, padded to 32
    CHECK(w.data_bytes() == 1632 + 32 + 448); // 420 bytes of q6_K, padded
    CHECK(f.find("qwen2.block_count")->as_uint("k") == 2);
}

TEST_CASE("GgufWriter rejects a non power of two alignment") {
    CHECK_THROWS(GgufWriter(48));
}
