#include <vramplan/base/user_config.hpp>

namespace vramplan {

std::optional<std::filesystem::path> user_config_dir(const EnvironmentLookup& env) {
    // The XDG Base Directory specification: a relative XDG_CONFIG_HOME is invalid and ignored.
    if (const auto xdg = env("XDG_CONFIG_HOME");
        xdg && !xdg->empty() && std::filesystem::path(*xdg).is_absolute()) {
        return std::filesystem::path(*xdg) / "vramplan";
    }
    if (const auto home = env("HOME"); home && !home->empty()) {
        return std::filesystem::path(*home) / ".config" / "vramplan";
    }
    return std::nullopt;
}

} // namespace vramplan
