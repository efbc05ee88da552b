#pragma once
// The user's own configuration folder: $XDG_CONFIG_HOME/vramplan, else ~/.config/vramplan. It
// holds what vramplan learns on this machine (GPU overrides from `calibrate --save`), never the
// shipped catalog.

#include <filesystem>
#include <optional>

namespace vramplan {

// nullopt when neither XDG_CONFIG_HOME nor HOME is set.
std::optional<std::filesystem::path> user_config_dir();

} // namespace vramplan
