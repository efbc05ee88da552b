#include <vramplan/base/json_depth.hpp>

#include <catch2/catch.hpp>

#include <string>

using namespace vramplan;

TEST_CASE("json depth: nesting counted outside strings only") {
    CHECK(json_depth_within(R"({"a":[1,{"b":[]}]})", 4));
    CHECK_FALSE(json_depth_within(R"({"a":[1,{"b":[]}]})", 3));
    CHECK(json_depth_within("", 0));
    CHECK(json_depth_within("1", 0));
    CHECK_FALSE(json_depth_within("[", 0));
    // Brackets in strings, after escaped quotes and backslashes, are text.
    CHECK(json_depth_within(R"(["[[[[", "\"[[[[", "\\", "]]]]"])", 1));
    CHECK_FALSE(json_depth_within(R"(["\\", [[]]])", 2));
    // Closing brackets never make room for more opening ones than the limit.
    CHECK_FALSE(json_depth_within("]]]]]]]][[[", 2));
}

TEST_CASE("json depth: a million levels are scanned, not recursed") {
    const std::string deep = std::string(1000000, '[') + std::string(1000000, ']');
    CHECK_FALSE(json_depth_within(deep));
    CHECK(json_depth_within(deep, 1000000));
    CHECK(json_depth_within(std::string(64, '{') + std::string(64, '}')));
    CHECK_FALSE(json_depth_within(std::string(65, '{')));
}
