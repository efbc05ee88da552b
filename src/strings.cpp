#include <vramplan/strings.hpp>

#include <cctype>

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

} // namespace vramplan
