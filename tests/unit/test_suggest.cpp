#include <vramplan/base/suggest.hpp>

#include <catch2/catch.hpp>

using namespace vramplan;

TEST_CASE("closest names by edit distance and containment") {
    const std::vector<std::string> names{"rtx4090", "rtx4080", "rtx3090", "h100", "a100-80gb"};
    CHECK(closest_names("rtx4900", names).front() == "rtx4090");
    CHECK(closest_names("A100", names).front() == "a100-80gb");
    CHECK(closest_names("zzzzzzzzzz", names).empty());
    CHECK(suggestion_hint("zzzzzzzzzz", names).find("known: rtx4090") == 0);
    CHECK(suggestion_hint("h10", names) == "did you mean 'h100'?");
}
