#include <vramplan/base/byte_reader.hpp>

#include <catch2/catch.hpp>

#include <array>
#include <vector>

using namespace vramplan;

TEST_CASE("ByteReader reads little-endian values and tracks the offset") {
    const std::array<std::byte, 12> raw{std::byte{0x01}, std::byte{0x02}, std::byte{0x03},
                                        std::byte{0x04}, std::byte{0xff}, std::byte{0xff},
                                        std::byte{0xff}, std::byte{0xff}, std::byte{0xff},
                                        std::byte{0xff}, std::byte{0xff}, std::byte{0x7f}};
    ByteReader r(raw);
    CHECK(r.u32() == 0x04030201U);
    CHECK(r.offset() == 4);
    CHECK(r.i64() == INT64_MAX);
    CHECK(r.remaining() == 0);
}

TEST_CASE("ByteReader refuses to read past the end and names the offset") {
    const std::vector<std::byte> raw(3); // heap: GCC 12 warns on provably short stack arrays
    ByteReader r(raw);
    r.u8();
    try {
        r.u32();
        FAIL("expected an error");
    } catch (const Error& e) {
        CHECK(e.kind() == ErrorKind::format);
        CHECK(e.where() == "offset 0x1 (1)");
        CHECK(std::string(e.message()).find("needs 4 bytes, 2 left") != std::string::npos);
    }
    CHECK(r.offset() == 1); // a failed read does not move the cursor
    CHECK_THROWS_AS(r.bytes(3, "blob"), Error);
}

TEST_CASE("checked arithmetic throws on 64-bit overflow") {
    CHECK(checked_add(1, 2, 0, "x") == 3);
    CHECK(checked_mul(1ULL << 31, 4, 0, "x") == 1ULL << 33);
    CHECK_THROWS_AS(checked_add(UINT64_MAX, 1, 0, "x"), Error);
    CHECK_THROWS_AS(checked_mul(1ULL << 40, 1ULL << 30, 0, "x"), Error);
}
