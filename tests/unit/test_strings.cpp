#include <vramplan/base/strings.hpp>

#include <catch2/catch.hpp>

using namespace vramplan;

TEST_CASE("to_lower and join") {
    CHECK(to_lower("Qwen2.5-7B-Q4_K_M") == "qwen2.5-7b-q4_k_m");
    CHECK(join({}, ", ").empty());
    CHECK(join({"a"}, ", ") == "a");
    CHECK(join({"a", "b", "c"}, " | ") == "a | b | c");
}

TEST_CASE("parse_number is finite only") {
    CHECK(parse_number("1.5") == 1.5);
    CHECK_FALSE(parse_number("inf"));
    CHECK_FALSE(parse_number("nan"));
    CHECK_FALSE(parse_number("1e999"));
}
