#include <vramplan/base/service_name.hpp>
#include <vramplan/base/strings.hpp>

#include <fmt/format.h>

namespace vramplan {

namespace {

bool is_alnum(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

} // namespace

bool is_service_name(std::string_view name) {
    if (name.empty() || !is_alnum(name[0])) {
        return false;
    }
    for (const char c : name) {
        if (!is_alnum(c) && c != '.' && c != '_' && c != '-') {
            return false;
        }
    }
    return true;
}

void check_service_name(std::string_view name, ErrorKind kind, const std::string& where) {
    if (!is_service_name(name)) {
        throw Error(kind, where, fmt::format("{} is not a service name", quote_value(name)),
                    "a service name is letters, digits, '.', '_' and '-', starting with a letter "
                    "or digit, as Compose requires");
    }
}

std::string env_prefix_of(std::string_view name) {
    std::string p(name);
    for (char& ch : p) {
        ch = is_alnum(ch) ? static_cast<char>(std::toupper(static_cast<unsigned char>(ch))) : '_';
    }
    // A variable name cannot start with a digit (${1CHAT_MODEL} is no interpolation).
    return !p.empty() && p[0] >= '0' && p[0] <= '9' ? "_" + p : p;
}

} // namespace vramplan
