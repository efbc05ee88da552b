#include <vramplan/base/strings.hpp>

#include <fmt/format.h>

#include <cctype>
#include <charconv>
#include <cmath>

namespace vramplan {

std::string to_lower(std::string_view s) {
    std::string out(s);
    for (char& c : out) {
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    return out;
}

std::string join(const std::vector<std::string>& items, std::string_view sep) {
    std::string out;
    for (const auto& s : items) {
        out += (out.empty() ? "" : std::string(sep)) + s;
    }
    return out;
}

std::vector<std::string> split(std::string_view s, char sep) {
    std::vector<std::string> out;
    for (std::size_t start = 0;;) {
        const auto at = s.find(sep, start);
        out.emplace_back(s.substr(start, at - start));
        if (at == std::string_view::npos) {
            return out;
        }
        start = at + 1;
    }
}

namespace {

template <typename T> std::optional<T> parse_whole(std::string_view s) {
    T v{};
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (s.empty() || ec != std::errc{} || end != s.data() + s.size()) {
        return std::nullopt;
    }
    return v;
}

} // namespace

std::optional<long long> parse_integer(std::string_view s) {
    return parse_whole<long long>(s);
}

std::optional<std::uint64_t> parse_unsigned(std::string_view s) {
    return parse_whole<std::uint64_t>(s);
}

std::optional<double> parse_number(std::string_view s) {
    const auto v = parse_whole<double>(s);
    if (!v || !std::isfinite(*v)) {
        return std::nullopt;
    }
    return v;
}

std::string escape_control(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    for (const char ch : s) {
        const auto c = static_cast<unsigned char>(ch);
        if (c < 0x20 || c == 0x7f) {
            out += fmt::format("\\x{:02x}", c);
        } else {
            out += ch;
        }
    }
    return out;
}

std::string quote_value(std::string_view s) {
    constexpr std::size_t k_shown = 60;
    std::string out = "'";
    for (std::size_t i = 0; i < s.size() && i < k_shown; ++i) {
        const auto c = static_cast<unsigned char>(s[i]);
        if (c < 0x20 || c >= 0x7f || c == '\\' || c == '\'') {
            out += fmt::format("\\x{:02x}", c);
        } else {
            out += static_cast<char>(c);
        }
    }
    out += s.size() > k_shown ? fmt::format("...' ({} bytes)", s.size()) : "'";
    return out;
}

std::string_view trim(std::string_view s) {
    constexpr std::string_view blanks = " \t\r\n";
    const auto b = s.find_first_not_of(blanks);
    if (b == std::string_view::npos) {
        return {};
    }
    return s.substr(b, s.find_last_not_of(blanks) - b + 1);
}

std::vector<std::string_view> lines_of(std::string_view s) {
    std::vector<std::string_view> out;
    std::size_t start = 0;
    while (start < s.size()) {
        std::size_t end = s.find('\n', start);
        const std::size_t next = end == std::string_view::npos ? s.size() : end + 1;
        end = end == std::string_view::npos ? s.size() : end;
        std::string_view line = s.substr(start, end - start);
        if (!line.empty() && line.back() == '\r') {
            line.remove_suffix(1);
        }
        out.push_back(line);
        start = next;
    }
    return out;
}

} // namespace vramplan
