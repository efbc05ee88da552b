#pragma once
// Atomic file output: content goes to temporary files beside the targets, which are renamed over
// the targets only once all are complete, so a failure never leaves a half-written file or a
// half-replaced set behind. Termination signals wait until the files are in place (or removed).

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace vramplan {

// Writes `content`, then extends the file with a hole to `total_size` bytes when that is larger.
// Throws ErrorKind::io; when `overwrite` is false an existing target is an ErrorKind::usage error.
// A replaced file keeps its permissions (and owner, where allowed).
void write_file_atomically(const std::filesystem::path& path, std::span<const std::byte> content,
                           std::uint64_t total_size, bool overwrite);

// The line after which a written file's own lines end and its user's begin: what follows it in
// the file being replaced is carried over to the new file (a .env a user added settings to).
inline constexpr std::string_view k_user_lines_marker =
    "# Lines below this one are yours: vramplan keeps them when it rewrites this file.";

struct MarkedFile {
    std::string name;    // in the folder
    std::string content; // ends with k_user_lines_marker + "\n" when `keeps_user_lines`
    bool keeps_user_lines = false;
};

// Writes a set of text files into `dir` (created if missing), after checking all of them first:
// an existing file whose first line does not start with `marker` (one vramplan did not write) is
// replaced only when `force`, and a file that keeps user lines but whose old version lacks
// k_user_lines_marker (its added lines could not be told apart) likewise; otherwise nothing at
// all is written (ErrorKind::usage). The set is replaced together: if one rename fails, those
// done are rolled back. Temporary files a killed earlier run left beside the targets are removed.
void write_marked_files(const std::filesystem::path& dir, const std::vector<MarkedFile>& files,
                        std::string_view marker, bool force);

} // namespace vramplan
