// Compose interpolation: every form of the Compose specification, errors and laziness.

#include <vramplan/base/error.hpp>
#include <vramplan/compose/interpolation.hpp>

#include <catch2/catch.hpp>

#include <map>

using namespace vramplan;

namespace {

const std::map<std::string, std::string> k_vars{
    {"SET", "value"}, {"EMPTY", ""}, {"OTHER", "other"}, {"N", "20"}};

VariableLookup lookup() {
    return [](std::string_view n) -> std::optional<std::string> {
        if (auto it = k_vars.find(std::string(n)); it != k_vars.end()) {
            return it->second;
        }
        return std::nullopt;
    };
}

std::string interp(std::string_view s) {
    return interpolate(s, lookup()).value;
}

std::string error_of(std::string_view s) {
    try {
        interp(s);
    } catch (const Error& e) {
        return e.what();
    }
    return "no error";
}

} // namespace

TEST_CASE("plain and braced variables are replaced", "[interpolation]") {
    CHECK(interp("no variables") == "no variables");
    CHECK(interp("$SET") == "value");
    CHECK(interp("${SET}") == "value");
    CHECK(interp("a-${SET}-b/$OTHER.gguf") == "a-value-b/other.gguf");
    CHECK(interp("$SET_X") == ""); // the name runs as far as it can
    CHECK(interp("${N}${N}") == "2020");
}

TEST_CASE("$$ is a literal dollar and is not interpolated again", "[interpolation]") {
    CHECK(interp("$$") == "$");
    CHECK(interp("$$SET") == "$SET");
    CHECK(interp("$${SET}") == "${SET}");
    CHECK(interp("cost: 5$$") == "cost: 5$");
}

TEST_CASE("default values distinguish unset from empty", "[interpolation]") {
    CHECK(interp("${SET:-d}") == "value");
    CHECK(interp("${EMPTY:-d}") == "d");
    CHECK(interp("${MISSING:-d}") == "d");
    CHECK(interp("${SET-d}") == "value");
    CHECK(interp("${EMPTY-d}") == "");
    CHECK(interp("${MISSING-d}") == "d");
    CHECK(interp("${MISSING:-}") == "");
    CHECK(interp("${MISSING:-a b:c-d}") == "a b:c-d");
}

TEST_CASE("alternative values apply only to set variables", "[interpolation]") {
    CHECK(interp("${SET:+alt}") == "alt");
    CHECK(interp("${EMPTY:+alt}") == "");
    CHECK(interp("${MISSING:+alt}") == "");
    CHECK(interp("${SET+alt}") == "alt");
    CHECK(interp("${EMPTY+alt}") == "alt");
    CHECK(interp("${MISSING+alt}") == "");
}

TEST_CASE("defaults nest and are interpolated", "[interpolation]") {
    CHECK(interp("${MISSING:-${OTHER}}") == "other");
    CHECK(interp("${MISSING:-${ALSO_MISSING:-deep}}") == "deep");
    CHECK(interp("${MISSING:-$OTHER/x}") == "other/x");
    CHECK(interp("${MISSING:-$$}") == "$");
    CHECK(interp("${SET:+${OTHER}-${N}}") == "other-20");
}

TEST_CASE("required variables fail with their message", "[interpolation]") {
    CHECK(interp("${SET:?msg}") == "value");
    CHECK(interp("${EMPTY?msg}") == "");
    CHECK(error_of("${MISSING:?set MISSING in .env}") ==
          "required variable MISSING is missing a value: set MISSING in .env");
    CHECK(error_of("${EMPTY:?}") == "required variable EMPTY is missing a value");
    CHECK(error_of("${MISSING?need ${OTHER}}") ==
          "required variable MISSING is missing a value: need other");
}

TEST_CASE("unused operands are not evaluated but are still checked", "[interpolation]") {
    CHECK(interp("${SET:-${MISSING:?never}}") == "value");
    CHECK(interp("${MISSING:+${ALSO:?never}}") == "");
    CHECK(error_of("${SET:-${}}").find("invalid interpolation") != std::string::npos);
}

TEST_CASE("unset variables are reported", "[interpolation]") {
    const Interpolated r = interpolate("$A ${B} ${C:-x} $SET", lookup());
    CHECK(r.value == "  x value");
    CHECK(r.unset == std::vector<std::string>{"A", "B"});
}

TEST_CASE("invalid templates are errors that say where", "[interpolation]") {
    for (const char* bad : {"$", "a $", "${}", "${", "${SET", "${1}", "$1", "$-x", "${SET!}",
                            "${SET:x}", "${SET:-unclosed", "$ {SET}"}) {
        INFO(bad);
        CHECK(error_of(bad).find("invalid interpolation") != std::string::npos);
    }
    CHECK(error_of("ab${}") == "invalid interpolation in \"ab${}\" at character 3: ${ must be "
                               "followed by a variable name");
}

TEST_CASE("deep nesting is refused, not a stack overflow", "[interpolation]") {
    std::string deep;
    for (int i = 0; i < 10000; ++i) {
        deep += "${A:-";
    }
    CHECK(error_of(deep).find("nested") != std::string::npos);
}

TEST_CASE("a 1 MB value interpolates in one pass", "[interpolation]") {
    std::string big(1 << 20, 'x');
    big += "${SET}";
    CHECK(interp(big).size() == (1u << 20) + 5);
}

TEST_CASE("variable names", "[interpolation]") {
    CHECK(is_variable_name("CHAT_MODEL"));
    CHECK(is_variable_name("_x1"));
    CHECK_FALSE(is_variable_name("1X"));
    CHECK_FALSE(is_variable_name(""));
    CHECK_FALSE(is_variable_name("A-B"));
}
