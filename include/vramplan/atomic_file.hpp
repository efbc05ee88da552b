#pragma once
// Atomic file output: content goes to a temporary file beside the target, which is renamed over
// the target only once complete, so a failure never leaves a half-written file behind.

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <span>

namespace vramplan {

// Writes `content`, then extends the file with a hole to `total_size` bytes when that is larger.
// Throws ErrorKind::io; when `overwrite` is false an existing target is an ErrorKind::usage error.
void write_file_atomically(const std::filesystem::path& path, std::span<const std::byte> content,
                           std::uint64_t total_size, bool overwrite);

} // namespace vramplan
