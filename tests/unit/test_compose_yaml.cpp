// The compose YAML tree: interpolated values, merge keys, positions, hostile input.

#include <vramplan/base/error.hpp>
#include <vramplan/compose/compose_yaml.hpp>

#include <catch2/catch.hpp>

using namespace vramplan;

namespace {

std::optional<std::string> vars(std::string_view n) {
    if (n == "TAG") {
        return "server-cuda";
    }
    return std::nullopt;
}

ComposeDocument parse(std::string_view text, const ComposeLimits& limits = {}) {
    return parse_compose_yaml(text, "compose.yml", vars, limits);
}

std::string error_of(std::string_view text, const ComposeLimits& limits = {}) {
    try {
        parse(text, limits);
    } catch (const Error& e) {
        return e.what();
    }
    return "no error";
}

} // namespace

TEST_CASE("values are interpolated, keys are not", "[compose_yaml]") {
    const auto d = parse("services:\n  ${TAG}:\n    image: llama.cpp:${TAG}\n");
    const ComposeNode* s = d.root.find("services");
    REQUIRE(s != nullptr);
    REQUIRE(s->entries.size() == 1);
    CHECK(s->entries[0].key == "${TAG}");
    CHECK(s->entries[0].value.find("image")->scalar == "llama.cpp:server-cuda");
}

TEST_CASE("positions of values and keys are 1-based", "[compose_yaml]") {
    const auto d = parse("services:\n  chat:\n    image: x\n");
    const ComposeNode& chat = d.root.find("services")->entries[0].value;
    CHECK(chat.key_pos.line == 2);
    CHECK(chat.key_pos.column == 3);
    CHECK(chat.find("image")->pos.line == 3);
    CHECK(chat.find("image")->pos.column == 12);
    CHECK(format_location("f.yml", {3, 12}) == "f.yml:3:12");
    CHECK(format_location("f.yml", {}) == "f.yml");
}

TEST_CASE("merge keys supply missing keys and explicit keys win", "[compose_yaml]") {
    const auto d = parse("x-base: &base\n  image: a\n  ports: ['1:1']\n"
                         "x-more: &more\n  image: b\n  runtime: nvidia\n"
                         "services:\n  s:\n    <<: [*base, *more]\n    ports: ['2:2']\n"
                         "  t:\n    \"<<\": literal\n");
    const ComposeNode& s = d.root.find("services")->entries[0].value;
    CHECK(s.find("image")->scalar == "a"); // the first merged mapping wins
    CHECK(s.find("runtime")->scalar == "nvidia");
    CHECK(s.find("ports")->items[0].scalar == "2:2");
    CHECK(s.find("<<") == nullptr);
    const ComposeNode& t = d.root.find("services")->entries[1].value;
    CHECK(t.find("<<")->scalar == "literal");
}

TEST_CASE("unset variables are collected once with their first position", "[compose_yaml]") {
    const auto d = parse("a: $NOPE\nb: ${NOPE}\nc: ${ALSO}\n");
    REQUIRE(d.unset.size() == 2);
    CHECK(d.unset[0].name == "NOPE");
    CHECK(d.unset[0].pos.line == 1);
    CHECK(d.unset[1].name == "ALSO");
}

TEST_CASE("errors carry file, line and column", "[compose_yaml]") {
    CHECK(error_of("services:\n  a: [unclosed\n").starts_with("compose.yml:"));
    CHECK(error_of("a: 1\nb: ${REQ:?set REQ}\n") ==
          "compose.yml:2:4: required variable REQ is missing a value: set REQ");
    CHECK(error_of("a: 1\nb: 'x $'\n").starts_with("compose.yml:2:4: invalid interpolation"));
    CHECK(error_of("- a\n- b\n") ==
          "compose.yml: a compose file must be a mapping with a 'services' key at the top");
    CHECK(error_of("a: 1\na: 2\n") == "compose.yml:2:1: the key 'a' appears twice in this mapping");
    CHECK(error_of("a:\n  <<: 3\n") == "compose.yml:2:7: << takes a mapping or a list of mappings");
}

TEST_CASE("an alias that refers to itself is refused", "[compose_yaml]") {
    CHECK(error_of("a: &x [*x]\n").find("nested deeper than 64 levels") != std::string::npos);
}

TEST_CASE("an alias bomb is refused by the value limit", "[compose_yaml]") {
    std::string bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n";
    char prev = 'a';
    for (char c = 'b'; c <= 'j'; ++c) {
        bomb += std::string(1, c) + ": &" + c + " [";
        for (int i = 0; i < 10; ++i) {
            bomb += std::string(i ? ", *" : "*") + prev;
        }
        bomb += "]\n";
        prev = c;
    }
    CHECK(error_of(bomb).find("more than 1000000 values") != std::string::npos);
}

TEST_CASE("a 1 MB value is read whole", "[compose_yaml]") {
    const std::string big(1 << 20, 'v');
    const auto d = parse("services:\n  a:\n    command: " + big + "\n");
    CHECK(d.root.find("services")->entries[0].value.find("command")->scalar.size() == big.size());
}

TEST_CASE("all scalars together are bounded: an alias of a long string repeated",
          "[compose_yaml]") {
    std::string text = "x-big: &big \"" + std::string(4096, 'x') + "\"\nservices:\n  a:\n";
    text += "    command: [";
    for (int i = 0; i < 300; ++i) {
        text += i == 0 ? "*big" : ", *big";
    }
    text += "]\n";
    ComposeLimits small;
    small.max_scalar_bytes = 1 << 20; // 300 copies of 4 KiB exceed 1 MiB
    CHECK(error_of(text, small).find("expand to more than 1048576 bytes in all") !=
          std::string::npos);
    CHECK(error_of(text) == "no error"); // within the default
}
