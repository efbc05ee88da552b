#include <vramplan/base/error.hpp>
#include <vramplan/base/numbers.hpp>
#include <vramplan/base/strings.hpp>

#include <fmt/format.h>

#include <cmath>

namespace vramplan {

namespace {

[[noreturn]] void out_of_range(std::string_view text, const std::string& what,
                               const std::string& expected) {
    throw Error(ErrorKind::usage, what,
                fmt::format("expected {}, found {}", expected, quote_value(text)));
}

} // namespace

std::uint64_t checked_unsigned(std::string_view text, std::uint64_t min, std::uint64_t max,
                               const std::string& what) {
    const auto v = parse_unsigned(text);
    if (!v || *v < min || *v > max) {
        out_of_range(text, what, fmt::format("a whole number from {} to {}", min, max));
    }
    return *v;
}

long long checked_integer(std::string_view text, long long min, long long max,
                          const std::string& what) {
    const auto v = parse_integer(text);
    if (!v || *v < min || *v > max) {
        out_of_range(text, what, fmt::format("a whole number from {} to {}", min, max));
    }
    return *v;
}

double checked_number(std::string_view text, double min, double max, const std::string& what) {
    const auto v = parse_number(text);
    if (!v || !(*v >= min && *v <= max)) {
        out_of_range(text, what, fmt::format("a number from {} to {}", min, max));
    }
    return *v;
}

} // namespace vramplan
