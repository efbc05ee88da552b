#pragma once
// Reading a whole text file (YAML data, compose files, plan files, logs) with the error every
// command reports the same way. Every read is bounded: inputs come from pull requests and
// pasted logs, and /dev/zero or a FIFO given as a file must fail at once, not fill memory or hang.

#include <cstddef>
#include <filesystem>
#include <iosfwd>
#include <string>
#include <string_view>
#include <vector>

namespace vramplan {

// Compose, .env, plan, scenario and profile files: far above any real one.
inline constexpr std::size_t k_max_text_file_bytes = std::size_t{16} << 20;
// llama.cpp logs (calibrate): a load log with its per-tensor lines and a long run after it.
inline constexpr std::size_t k_max_log_bytes = std::size_t{256} << 20;

// Throws vramplan::Error (io) naming the path when the file cannot be read, is a directory, a
// FIFO, a socket or a device (only regular files are read, so nothing blocks), or holds more
// than `max_bytes`.
std::string read_text_file(const std::filesystem::path& path,
                           std::size_t max_bytes = k_max_text_file_bytes);

// The regular files in `dir` whose names end in `extension` (".yaml"), sorted by name. Throws
// vramplan::Error (io) naming the folder when it cannot be listed.
std::vector<std::filesystem::path> files_in(const std::filesystem::path& dir,
                                            std::string_view extension);

// The rest of `in` (standard input), or vramplan::Error (io, at `name`) past `max_bytes`.
std::string read_text_stream(std::istream& in, const std::string& name, std::size_t max_bytes);

} // namespace vramplan
