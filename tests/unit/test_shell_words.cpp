// Splitting a command string as a shell would (Compose's string form of command:).

#include <vramplan/base/error.hpp>
#include <vramplan/compose/shell_words.hpp>

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

TEST_CASE("shell_quote gives one word that splits back to itself") {
    CHECK(shell_quote("inference-chat") == "inference-chat");
    CHECK(shell_quote("") == "''");
    CHECK(shell_quote("x;touch${IFS}pwned;#") == "'x;touch${IFS}pwned;#'");
    CHECK(shell_quote("it's") == "'it'\\''s'");
    for (const std::string w : {"a b", "$(id)", "`id`", "it's", "\"q\"", "a\\b", "*", "~", "#x",
                                "a\nb", "x;touch${IFS}pwned;#=...", "'", "''"}) {
        INFO(w);
        const auto back = split_shell_words("echo " + shell_quote(w));
        REQUIRE(back.size() == 2);
        CHECK(back[1] == w);
    }
}

TEST_CASE("a command line renders on one line, each word quoted") {
    CHECK(render_command_line({"vramplan", "solve", "--service", "a b=3b"}) ==
          "vramplan solve --service 'a b=3b'");
    const std::string line = render_command_line({"vramplan", "--plan", "x\n  privileged: true"});
    CHECK(line.find('\n') == std::string::npos);
    CHECK(line == "vramplan --plan 'x\\x0a  privileged: true'");
}
