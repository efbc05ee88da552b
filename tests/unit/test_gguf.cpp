#include "support/gguf_builder.hpp"

#include <vramplan/base/error.hpp>
#include <vramplan/model/gguf.hpp>

#include <catch2/catch.hpp>

#include <array>
#include <cstring>

using namespace vramplan;
using test::RawBytes;

namespace {

// Runs parse_gguf and returns the error's "where: what", or "" when it parsed.
std::string parse_error(const std::vector<std::byte>& bytes) {
    try {
        (void)parse_gguf(bytes);
        return "";
    } catch (const Error& e) {
        CHECK(e.kind() == ErrorKind::format);
        return e.what();
    }
}

GgufWriter small_writer() {
    GgufWriter w;
    w.add_string("general.architecture", "llama");
    w.add_u32("llama.block_count", 1);
    const std::array<std::uint64_t, 2> ne{256, 4};
    w.add_tensor("blk.0.attn_q.weight", GgmlType::q4_k, ne);
    const std::array<std::uint64_t, 1> norm{256};
    w.add_tensor("blk.0.attn_norm.weight", GgmlType::f32, norm);
    return w;
}

} // namespace

TEST_CASE("parse_gguf reads every metadata value type") {
    GgufWriter w;
    w.add_u16("a.u16", 7);
    w.add_u32("a.u32", 70000);
    w.add_i32("a.i32", -5);
    w.add_u64("a.u64", 1ULL << 40);
    w.add_f32("a.f32", 0.5F);
    w.add_bool("a.bool", true);
    w.add_string("a.str", "h\xC3\xA9llo");
    const std::vector<std::string> strs{"x", "", "yz"};
    w.add_string_array("a.strs", strs);
    const std::vector<std::int32_t> ints{1, -2, 3};
    w.add_i32_array("a.ints", ints);
    // A raw nested array: array of 2 arrays of u8.
    RawBytes nested;
    nested.str("a.nested").put<std::uint32_t>(9).put<std::uint32_t>(9).put<std::uint64_t>(2);
    nested.put<std::uint32_t>(0).put<std::uint64_t>(2).put<std::uint8_t>(1).put<std::uint8_t>(2);
    nested.put<std::uint32_t>(0).put<std::uint64_t>(1).put<std::uint8_t>(3);
    w.append_raw_kv(nested.b);

    const auto bytes = test::file_bytes(w);
    const GgufFile f = parse_gguf(bytes);
    CHECK(f.version == 3);
    CHECK(f.kvs.size() == 10);
    CHECK(f.find("a.u16")->as_uint("k") == 7);
    CHECK(f.find("a.u32")->as_uint("k") == 70000);
    CHECK_THROWS_AS(f.find("a.i32")->as_uint("k"), Error);
    CHECK(f.find("a.i32")->as_float("k") == -5.0);
    CHECK(f.find("a.u64")->as_uint("k") == (1ULL << 40));
    CHECK(f.find("a.f32")->as_float("k") == 0.5);
    CHECK(f.find("a.bool")->as_bool("k"));
    CHECK(f.find("a.str")->as_string("k") == "h\xC3\xA9llo");
    const GgufArray& s = f.find("a.strs")->as_array("k");
    REQUIRE(s.strings.size() == 3);
    CHECK(s.strings[2] == "yz");
    const GgufArray& i = f.find("a.ints")->as_array("k");
    CHECK(i.count == 3);
    CHECK(i.uint_at(0) == 1);
    CHECK_THROWS_AS(i.uint_at(1), Error); // negative
    const GgufArray& n = f.find("a.nested")->as_array("k");
    REQUIRE(n.arrays.size() == 2);
    CHECK(n.arrays[0].as_array("k").uint_at(1) == 2);
    CHECK(n.arrays[1].as_array("k").uint_at(0) == 3);
    CHECK(f.find("missing") == nullptr);
    CHECK_THROWS_AS(f.find("a.str")->as_uint("k"), Error);
}

TEST_CASE("parse_gguf reads the tensor table and the data layout") {
    const GgufWriter w = small_writer();
    const auto bytes = test::file_bytes(w);
    const GgufFile f = parse_gguf(bytes);
    REQUIRE(f.tensors.size() == 2);
    CHECK(f.tensors[0].name == "blk.0.attn_q.weight");
    CHECK(f.tensors[0].type == GgmlType::q4_k);
    CHECK(f.tensors[0].n_dims == 2);
    CHECK(f.tensors[0].ne[1] == 4);
    CHECK(f.tensors[0].bytes == 4 * 144);
    CHECK(f.tensors[1].offset == 576); // 576 is already a multiple of 32
    CHECK(f.data_offset % 32 == 0);
    CHECK(f.data_offset == w.header().size());
    CHECK(f.data_bytes == 576 + 1024);
    CHECK(f.alignment == 32);
}

TEST_CASE("general.alignment is honoured and validated") {
    GgufWriter w(64);
    const std::array<std::uint64_t, 1> ne{8};
    w.add_tensor("a.weight", GgmlType::f32, ne);
    w.add_tensor("b.weight", GgmlType::f32, ne);
    const GgufFile f = parse_gguf(test::file_bytes(w));
    CHECK(f.alignment == 64);
    CHECK(f.tensors[1].offset == 64);
    CHECK(f.data_offset % 64 == 0);

    RawBytes bad;
    bad.preamble(0, 1).str("general.alignment").put<std::uint32_t>(4).put<std::uint32_t>(48);
    CHECK(parse_error(bad.b).find("not a power of two") != std::string::npos);
    RawBytes wrong_type;
    wrong_type.preamble(0, 1)
        .str("general.alignment")
        .put<std::uint32_t>(10)
        .put<std::uint64_t>(32);
    CHECK(parse_error(wrong_type.b).find("must be u32") != std::string::npos);
}

TEST_CASE("malformed headers give one precise error with the byte offset") {
    SECTION("empty file") {
        CHECK(parse_error({}).find("offset 0x0") != std::string::npos);
    }
    SECTION("bad magic") {
        RawBytes r;
        r.put<std::uint32_t>(0x464c457f).put<std::uint32_t>(3);
        CHECK(parse_error(r.b).find("not a GGUF file") != std::string::npos);
    }
    SECTION("version 1, unknown version, big-endian") {
        RawBytes v1;
        v1.preamble(0, 0, 1);
        CHECK(parse_error(v1.b).find("version 1 is not supported") != std::string::npos);
        RawBytes v9;
        v9.preamble(0, 0, 9);
        CHECK(parse_error(v9.b).find("unsupported GGUF version 9") != std::string::npos);
        RawBytes be;
        be.preamble(0, 0, 0x03000000U);
        CHECK(parse_error(be.b).find("big-endian") != std::string::npos);
    }
    SECTION("a count that cannot fit is rejected before any allocation") {
        RawBytes r;
        r.preamble(0, 1ULL << 62);
        const std::string e = parse_error(r.b);
        CHECK(e.find("offset 0x10 (16): metadata count 4611686018427387904 cannot fit") !=
              std::string::npos);
        RawBytes t;
        t.preamble(UINT64_MAX, 0);
        CHECK(parse_error(t.b).find("tensor count") != std::string::npos);
    }
    SECTION("string longer than the file") {
        RawBytes r;
        r.preamble(0, 1).put<std::uint64_t>(1000).put<std::uint64_t>(0).put<std::uint64_t>(0);
        CHECK(parse_error(r.b).find("metadata key length 1000 exceeds") != std::string::npos);
    }
    SECTION("array length beyond the file") {
        RawBytes r;
        r.preamble(0, 1).str("k").put<std::uint32_t>(9).put<std::uint32_t>(8).put<std::uint64_t>(
            1ULL << 60);
        CHECK(parse_error(r.b).find("array length") != std::string::npos);
    }
    SECTION("unknown value type") {
        RawBytes r;
        r.preamble(0, 1).str("k").put<std::uint32_t>(13);
        CHECK(parse_error(r.b).find("unknown metadata value type 13") != std::string::npos);
    }
    SECTION("arrays nested too deep") {
        RawBytes r;
        r.preamble(0, 1).str("k").put<std::uint32_t>(9);
        for (int i = 0; i < 20; ++i) {
            r.put<std::uint32_t>(9).put<std::uint64_t>(1);
        }
        CHECK(parse_error(r.b).find("nested deeper") != std::string::npos);
    }
    SECTION("bad boolean") {
        RawBytes r;
        r.preamble(0, 1).str("k").put<std::uint32_t>(7).put<std::uint8_t>(2);
        CHECK(parse_error(r.b).find("neither 0 nor 1") != std::string::npos);
    }
    SECTION("duplicate key") {
        RawBytes r;
        r.preamble(0, 2).str("k").put<std::uint32_t>(0).put<std::uint8_t>(1);
        r.str("k").put<std::uint32_t>(0).put<std::uint8_t>(1);
        CHECK(parse_error(r.b).find("duplicate metadata key 'k'") != std::string::npos);
    }
}

TEST_CASE("malformed tensor tables") {
    auto tensor = [](RawBytes& r, std::string_view name, std::vector<std::int64_t> ne,
                     std::uint32_t type, std::uint64_t offset) {
        r.str(name).put<std::uint32_t>(static_cast<std::uint32_t>(ne.size()));
        for (auto d : ne) {
            r.put<std::int64_t>(d);
        }
        r.put<std::uint32_t>(type).put<std::uint64_t>(offset);
    };
    SECTION("too many dimensions") {
        RawBytes r;
        r.preamble(1, 0);
        tensor(r, "t", {1, 1, 1, 1, 1}, 0, 0);
        CHECK(parse_error(r.b).find("has 5 dimensions") != std::string::npos);
    }
    SECTION("negative dimension") {
        RawBytes r;
        r.preamble(1, 0);
        tensor(r, "t", {-4}, 0, 0);
        CHECK(parse_error(r.b).find("dimension 0 is negative") != std::string::npos);
    }
    SECTION("element count overflow") {
        RawBytes r;
        r.preamble(1, 0);
        tensor(r, "t", {1LL << 40, 1LL << 40}, 0, 0);
        CHECK(parse_error(r.b).find("overflow") != std::string::npos);
    }
    SECTION("unknown or removed type") {
        RawBytes r;
        r.preamble(1, 0);
        tensor(r, "t", {32}, 4, 0);
        CHECK(parse_error(r.b).find("unknown ggml type id 4") != std::string::npos);
    }
    SECTION("row splits a block") {
        RawBytes r;
        r.preamble(1, 0);
        tensor(r, "t", {100}, 12, 0);
        CHECK(parse_error(r.b).find("not a multiple of the block size 256") != std::string::npos);
    }
    SECTION("name too long") {
        RawBytes r;
        r.preamble(1, 0);
        tensor(r, std::string(64, 'n'), {1}, 0, 0);
        CHECK(parse_error(r.b).find("ggml allows at most 63") != std::string::npos);
    }
    SECTION("duplicate tensor name") {
        RawBytes r;
        r.preamble(2, 0);
        tensor(r, "t", {8}, 0, 0);
        tensor(r, "t", {8}, 0, 32);
        r.b.resize(r.b.size() + 256, std::byte{0});
        CHECK(parse_error(r.b).find("duplicate tensor name 't'") != std::string::npos);
    }
    SECTION("offsets not packed in table order") {
        RawBytes r;
        r.preamble(2, 0);
        tensor(r, "a", {8}, 0, 0);
        tensor(r, "b", {8}, 0, 64);
        r.b.resize(r.b.size() + 256, std::byte{0});
        CHECK(parse_error(r.b).find("tensor 'b' has data offset 64, expected 32") !=
              std::string::npos);
    }
}

TEST_CASE("a file cut anywhere fails cleanly, naming an offset") {
    const auto full = test::file_bytes(small_writer());
    REQUIRE_NOTHROW(parse_gguf(full));
    for (std::size_t cut = 0; cut < full.size(); ++cut) {
        INFO("cut at " << cut);
        const std::vector<std::byte> part(full.begin(),
                                          full.begin() + static_cast<std::ptrdiff_t>(cut));
        const std::string e = parse_error(part);
        CHECK(e.find("offset 0x") == 0);
    }
}

TEST_CASE("a header-only prefix parses when the file size is given") {
    const GgufWriter w = small_writer();
    const auto head = w.header();
    CHECK_NOTHROW(parse_gguf(head, head.size() + w.data_bytes()));
    CHECK_THROWS_AS(parse_gguf(head, head.size() + 100), Error); // data would be truncated
}

TEST_CASE("read_gguf names the path in errors") {
    try {
        (void)read_gguf("/nonexistent/x.gguf");
        FAIL("expected an error");
    } catch (const Error& e) {
        CHECK(e.kind() == ErrorKind::io);
        CHECK(std::string(e.what()).find("/nonexistent/x.gguf: cannot open") == 0);
    }
}
