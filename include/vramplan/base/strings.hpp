#pragma once
// Small string helpers shared by the renderers and the name lookups.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace vramplan {

std::string to_lower(std::string_view s);
// "a, b, c" with `sep` between the items.
std::string join(const std::vector<std::string>& items, std::string_view sep);

// "a,b,,c" split at `sep`: {"a", "b", "", "c"}; an empty string gives one empty item.
std::vector<std::string> split(std::string_view s, char sep);

// `s` without blanks (spaces, tabs, CR, LF) at either end.
std::string_view trim(std::string_view s);

// The lines of `s`, split at LF (a CR before it is dropped); no final empty line.
std::vector<std::string_view> lines_of(std::string_view s);

// The whole of `s` as a number, or nullopt (empty, trailing characters, out of range): what every
// command-line and data-file number goes through.
std::optional<long long> parse_integer(std::string_view s);
std::optional<std::uint64_t> parse_unsigned(std::string_view s);
std::optional<double> parse_number(std::string_view s); // finite only: never nan or inf

// A value as an error message quotes it: in single quotes, control characters and bytes that
// are not printable ASCII written as \xNN, and a long value cut to its start with its length
// ("'aaaa...' (40000 bytes)"), so that hostile input can neither flood nor restyle a terminal.
std::string quote_value(std::string_view s);

// `s` with control characters (and DEL) written as \xNN: safe to print on
// one line of a terminal, a log or a CI runner that reads workflow commands from output lines.
std::string escape_control(std::string_view s);

} // namespace vramplan
