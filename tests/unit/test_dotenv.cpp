// The .env syntax Docker Compose reads.

#include <vramplan/base/error.hpp>
#include <vramplan/compose/dotenv.hpp>

#include <catch2/catch.hpp>

#include <map>

using namespace vramplan;

namespace {

std::optional<std::string> no_env(std::string_view) {
    return std::nullopt;
}

std::map<std::string, std::optional<std::string>> parse(std::string_view text,
                                                        const VariableLookup& env = no_env) {
    std::map<std::string, std::optional<std::string>> out;
    for (auto& e : parse_dotenv(text, ".env", env)) {
        out[e.name] = e.value;
    }
    return out;
}

std::string error_of(std::string_view text) {
    try {
        parse(text);
    } catch (const Error& e) {
        return e.what();
    }
    return "no error";
}

} // namespace

TEST_CASE("plain lines, comments, blanks and export", "[dotenv]") {
    const auto v = parse("# a comment\n\nA=1\n  B = two \nexport C=3\r\nD=\nexport=4\n");
    CHECK(v.at("A") == "1");
    CHECK(v.at("B") == "two");
    CHECK(v.at("C") == "3");
    CHECK(v.at("D") == "");
    CHECK(v.at("export") == "4");
}

TEST_CASE("inline comments need a blank before the #", "[dotenv]") {
    const auto v = parse("A=val # comment\nB=val# not a comment\nC=\"q # kept\" # gone\n");
    CHECK(v.at("A") == "val");
    CHECK(v.at("B") == "val# not a comment");
    CHECK(v.at("C") == "q # kept");
}

TEST_CASE("single quotes are literal, double quotes take escapes", "[dotenv]") {
    const auto v = parse("A='$OTHER \\n'\nB=\"tab\\there\\n\\\"q\\\" \\\\\"\nC='Let\\'s go'\n"
                         "D=\"{\\\"hello\\\": \\\"json\\\"}\"\nE=some\\tvalue\n");
    CHECK(v.at("A") == "$OTHER \\n");
    CHECK(v.at("B") == "tab\there\n\"q\" \\");
    CHECK(v.at("C") == "Let's go");
    CHECK(v.at("D") == "{\"hello\": \"json\"}");
    CHECK(v.at("E") == "some\\tvalue");
}

TEST_CASE("quoted values may span lines", "[dotenv]") {
    const auto entries = parse_dotenv("A=\"one\ntwo\"\nB=3\n", ".env", no_env);
    REQUIRE(entries.size() == 2);
    CHECK(entries[0].value == "one\ntwo");
    CHECK(entries[1].line == 3);
}

TEST_CASE("values are interpolated from the environment, then earlier lines", "[dotenv]") {
    const VariableLookup env = [](std::string_view n) -> std::optional<std::string> {
        return n == "HOME" ? std::optional<std::string>("/root") : std::nullopt;
    };
    const auto v = parse("DIR=/models\nM=${DIR}/a.gguf\nH=$HOME/x\nS='${DIR}'\nE=\"\\$DIR\"\n"
                         "F=${NOPE:-fallback}\n",
                         env);
    CHECK(v.at("M") == "/models/a.gguf");
    CHECK(v.at("H") == "/root/x");
    CHECK(v.at("S") == "${DIR}");
    CHECK(v.at("E") == "$DIR");
    CHECK(v.at("F") == "fallback");
}

TEST_CASE("a bare name is declared but not set", "[dotenv]") {
    const auto v = parse("A\nB=1\n");
    CHECK_FALSE(v.at("A").has_value());
    CHECK(v.at("B") == "1");
}

TEST_CASE("a byte order mark is skipped", "[dotenv]") {
    CHECK(parse("\xEF\xBB\xBF"
                "A=1\n")
              .at("A") == "1");
}

TEST_CASE("bad lines name the file and line", "[dotenv]") {
    CHECK(error_of("A=1\nB=\"open\n") == ".env:2: the value's opening \" is never closed");
    CHECK(error_of("A=1\n\nB C=1\n") == ".env:3: expected = after B");
    CHECK(error_of("=1\n") == ".env:1: a line with a value but no name");
    CHECK(error_of("A$=1\n") == ".env:1: 'A$' is not a variable name");
    CHECK(error_of("A='x' y\n") == ".env:1: unexpected text after the closing quote");
    CHECK(error_of("A=${B:?needed}\n") == ".env:1: required variable B is missing a value: needed");
}

TEST_CASE("a .env whose variables double each other is refused, not expanded", "[dotenv]") {
    std::string text = "A0=xxxxxxxxxxxxxxxx\n";
    for (int i = 1; i <= 40; ++i) {
        text += "A" + std::to_string(i) + "=${A" + std::to_string(i - 1) + "}${A" +
                std::to_string(i - 1) + "}\n";
    }
    CHECK(error_of(text).find("the values expand to more than 16777216 bytes in all") !=
          std::string::npos);
    // Many lines each repeating one large value are bounded in all, not line by line.
    std::string wide = "BIG=" + std::string(1 << 20, 'x') + "\n";
    for (int i = 0; i < 40; ++i) {
        wide += "C" + std::to_string(i) + "=$BIG\n";
    }
    CHECK(error_of(wide).find("the values expand to more than 16777216 bytes in all") !=
          std::string::npos);
}
