#pragma once
// The user's own configuration folder: $XDG_CONFIG_HOME/vramplan, else ~/.config/vramplan. It
// holds what vramplan learns on this machine (GPU overrides from `calibrate --save`), never the
// shipped catalog.

#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace vramplan {

// A variable of the process environment, as the CLI reads it (the library reads none itself).
using EnvironmentLookup = std::function<std::optional<std::string>(std::string_view name)>;

// nullopt when neither XDG_CONFIG_HOME nor HOME is set.
std::optional<std::filesystem::path> user_config_dir(const EnvironmentLookup& env);

} // namespace vramplan
