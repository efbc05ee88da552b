#include <vramplan/base/error.hpp>
#include <vramplan/base/text_table.hpp>

#include <catch2/catch.hpp>

using namespace vramplan;

TEST_CASE("text tables align columns") {
    TextTable t({{"name"}, {"n", TextTable::Align::right}});
    t.add_row({"a", "1"});
    t.add_row({"long", "100"});
    CHECK(t.render() == "  name    n\n  a       1\n  long  100\n");
    CHECK_THROWS_AS(t.add_row({"x"}), Error);
}

TEST_CASE("text tables render as Markdown with the same cells") {
    TextTable t({{"name"}, {"MiB", TextTable::Align::right}});
    t.add_row({"chat", "2013.01"});
    t.add_row({"code", "3536.15"});
    CHECK(t.render_markdown() == "| name | MiB |\n| --- | --- |\n| chat | 2013.01 |\n"
                                 "| code | 3536.15 |\n");
}
