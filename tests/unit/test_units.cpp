#include <vramplan/base/units.hpp>

#include <catch2/catch.hpp>

using namespace vramplan;

TEST_CASE("sizes print as llama.cpp prints them") {
    CHECK(format_mib(4370558976ULL) == "4168.09"); // the real CUDA0 log line
    CHECK(format_mib(0) == "0.00");
    CHECK(format_bytes(4677120000ULL) == "4,677,120,000");
    CHECK(format_bytes(999) == "999");
    CHECK(format_human(512) == "512 B");
    CHECK(format_human(3ULL << 30) == "3.00 GiB");
}
