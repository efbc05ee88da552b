#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <vramplan/atomic_file.hpp>
#include <vramplan/error.hpp>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>

namespace vramplan {

namespace {

[[noreturn]] void throw_io(const std::filesystem::path& path, const char* what, int err) {
    throw Error(ErrorKind::io, path.string(), std::string(what) + ": " + std::strerror(err));
}

} // namespace

void write_file_atomically(const std::filesystem::path& path, std::span<const std::byte> content,
                           std::uint64_t total_size, bool overwrite) {
    std::error_code ec;
    if (!overwrite && std::filesystem::exists(path, ec)) {
        throw Error(ErrorKind::usage, path.string(), "file exists",
                    "pass --force to replace it, or choose another path");
    }
    const std::filesystem::path dir =
        path.has_parent_path() ? path.parent_path() : std::filesystem::path(".");
    std::string tmpl = (dir / ("." + path.filename().string() + ".tmp-XXXXXX")).string();
    const int fd = ::mkstemp(tmpl.data());
    if (fd < 0) {
        throw_io(path, "cannot create a temporary file beside it", errno);
    }
    auto fail = [&](const char* what) {
        const int err = errno;
        ::close(fd);
        ::unlink(tmpl.c_str());
        throw_io(path, what, err);
    };
    std::size_t done = 0;
    while (done < content.size()) {
        const ssize_t n = ::write(fd, content.data() + done, content.size() - done);
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            fail("cannot write");
        }
        done += static_cast<std::size_t>(n);
    }
    if (total_size > content.size() && ::ftruncate(fd, static_cast<off_t>(total_size)) != 0) {
        fail("cannot extend");
    }
    if (::fchmod(fd, 0644) != 0 || ::fsync(fd) != 0) {
        fail("cannot finish writing");
    }
    if (::close(fd) != 0) {
        const int err = errno;
        ::unlink(tmpl.c_str());
        throw_io(path, "cannot close", err);
    }
    if (::rename(tmpl.c_str(), path.c_str()) != 0) {
        const int err = errno;
        ::unlink(tmpl.c_str());
        throw_io(path, "cannot rename into place", err);
    }
}

void write_marked_files(const std::filesystem::path& dir,
                        const std::vector<std::pair<std::string, std::string>>& files,
                        std::string_view marker, bool force) {
    for (const auto& [name, content] : files) {
        const std::filesystem::path path = dir / name;
        std::error_code ec;
        if (force || !std::filesystem::exists(path, ec)) {
            continue;
        }
        std::ifstream in(path);
        std::string first;
        std::getline(in, first);
        if (!first.starts_with(marker)) {
            throw Error(ErrorKind::usage, path.string(), "exists and was not written by vramplan",
                        "pass --force to replace it; nothing was written");
        }
    }
    for (const auto& [name, content] : files) {
        const auto* bytes = reinterpret_cast<const std::byte*>(content.data());
        write_file_atomically(dir / name, std::span(bytes, content.size()), 0, true);
    }
}

} // namespace vramplan
