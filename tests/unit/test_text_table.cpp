#include <vramplan/error.hpp>
#include <vramplan/text_table.hpp>

#include <catch2/catch.hpp>

using namespace vramplan;

TEST_CASE("text tables align columns") {
    TextTable t({{"name"}, {"n", TextTable::Align::right}});
    t.add_row({"a", "1"});
    t.add_row({"long", "100"});
    CHECK(t.render() == "  name    n\n  a       1\n  long  100\n");
    CHECK_THROWS_AS(t.add_row({"x"}), Error);
}
