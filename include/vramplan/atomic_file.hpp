#pragma once
// Atomic file output: content goes to a temporary file beside the target, which is renamed over
// the target only once complete, so a failure never leaves a half-written file behind.

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace vramplan {

// Writes `content`, then extends the file with a hole to `total_size` bytes when that is larger.
// Throws ErrorKind::io; when `overwrite` is false an existing target is an ErrorKind::usage error.
void write_file_atomically(const std::filesystem::path& path, std::span<const std::byte> content,
                           std::uint64_t total_size, bool overwrite);

// Writes a set of text files into `dir`, each atomically, after checking all of them first: an
// existing file whose first line does not start with `marker` (one vramplan did not write) is
// replaced only when `force`, and otherwise nothing at all is written (ErrorKind::usage).
void write_marked_files(const std::filesystem::path& dir,
                        const std::vector<std::pair<std::string, std::string>>& files,
                        std::string_view marker, bool force);

} // namespace vramplan
