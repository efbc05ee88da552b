#pragma once
// Reading a whole text file (YAML data, compose files, plan files) with the error every command
// reports the same way.

#include <filesystem>
#include <string>

namespace vramplan {

// Throws vramplan::Error (io) naming the path when the file cannot be read.
std::string read_text_file(const std::filesystem::path& path);

} // namespace vramplan
