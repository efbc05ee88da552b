// Splitting a command string as a shell would (Compose's string form of command:).

#include <vramplan/error.hpp>
#include <vramplan/shell_words.hpp>

#include <catch2/catch.hpp>

using namespace vramplan;
using Words = std::vector<std::string>;

TEST_CASE("blanks separate words", "[shell_words]") {
    CHECK(split_shell_words("") == Words{});
    CHECK(split_shell_words("  \t\n ") == Words{});
    CHECK(split_shell_words("-m /models/a.gguf  -c\t1024\n-ngl 20") ==
          Words{"-m", "/models/a.gguf", "-c", "1024", "-ngl", "20"});
}

TEST_CASE("quotes group and are removed", "[shell_words]") {
    CHECK(split_shell_words("-m '/models/a b.gguf'") == Words{"-m", "/models/a b.gguf"});
    CHECK(split_shell_words("a\"b c\"d") == Words{"ab cd"});
    CHECK(split_shell_words("'' \"\"") == Words{"", ""});
    CHECK(split_shell_words("'a\\b'") == Words{"a\\b"});
    CHECK(split_shell_words("\"a\\\"b\\\\c\\$d\\e\"") == Words{"a\"b\\c$d\\e"});
}

TEST_CASE("backslashes escape outside quotes", "[shell_words]") {
    CHECK(split_shell_words("a\\ b c") == Words{"a b", "c"});
    CHECK(split_shell_words("a \\\n b") == Words{"a", "b"});
    CHECK(split_shell_words("\\'x") == Words{"'x"});
}

TEST_CASE("unclosed quotes and a trailing backslash are errors", "[shell_words]") {
    CHECK_THROWS_WITH(split_shell_words("-m 'a.gguf"),
                      "the single quote opened at character 4 is never closed");
    CHECK_THROWS_WITH(split_shell_words("\"x"),
                      "the double quote opened at character 1 is never closed");
    CHECK_THROWS_AS(split_shell_words("x \\"), Error);
}
