#include <vramplan/user_config.hpp>

#include <cstdlib>

namespace vramplan {

std::optional<std::filesystem::path> user_config_dir() {
    // The XDG Base Directory specification: a relative XDG_CONFIG_HOME is invalid and ignored.
    if (const char* xdg = std::getenv("XDG_CONFIG_HOME");
        xdg != nullptr && *xdg != '\0' && std::filesystem::path(xdg).is_absolute()) {
        return std::filesystem::path(xdg) / "vramplan";
    }
    if (const char* home = std::getenv("HOME"); home != nullptr && *home != '\0') {
        return std::filesystem::path(home) / ".config" / "vramplan";
    }
    return std::nullopt;
}

} // namespace vramplan
