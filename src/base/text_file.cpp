#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <vramplan/base/error.hpp>
#include <vramplan/base/text_file.hpp>
#include <vramplan/base/units.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <istream>

namespace vramplan {

namespace {

[[noreturn]] void too_large(const std::string& name, std::size_t max_bytes) {
    throw Error(
        ErrorKind::io, name,
        fmt::format("larger than the {} vramplan reads from such a file", format_human(max_bytes)),
        "is this the right file?");
}

const char* kind_of(mode_t mode) {
    if (S_ISDIR(mode)) {
        return "a directory";
    }
    if (S_ISFIFO(mode)) {
        return "a FIFO (named pipe)";
    }
    if (S_ISSOCK(mode)) {
        return "a socket";
    }
    return "a device";
}

// Closes the descriptor on every way out.
struct FileDescriptor {
    int fd;
    ~FileDescriptor() { ::close(fd); }
};

} // namespace

std::string read_text_file(const std::filesystem::path& path, std::size_t max_bytes) {
    const std::string name = path.string();
    // O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer.
    const int fd = ::open(name.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
        throw Error(ErrorKind::io, name, std::string("cannot read file: ") + std::strerror(errno));
    }
    const FileDescriptor guard{fd};
    struct stat st {};
    if (::fstat(fd, &st) != 0) {
        throw Error(ErrorKind::io, name, std::string("cannot read file: ") + std::strerror(errno));
    }
    if (!S_ISREG(st.st_mode)) {
        throw Error(
            ErrorKind::io, name,
            fmt::format("cannot read file: it is {}, not a regular file", kind_of(st.st_mode)),
            S_ISDIR(st.st_mode) ? "give the path of a file inside it"
                                : "save the content to a file and pass its path");
    }
    if (st.st_size < 0 || static_cast<std::uint64_t>(st.st_size) > max_bytes) {
        too_large(name, max_bytes);
    }
    std::string out;
    out.resize(static_cast<std::size_t>(st.st_size));
    std::size_t done = 0;
    // The file may still grow while it is read: one byte past the limit is enough to tell.
    while (true) {
        if (done == out.size()) {
            if (out.size() > max_bytes) {
                too_large(name, max_bytes);
            }
            out.resize(std::min(max_bytes + 1, out.size() + 65536));
        }
        const ssize_t n = ::read(fd, out.data() + done, out.size() - done);
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            throw Error(ErrorKind::io, name,
                        std::string("cannot read file: ") + std::strerror(errno));
        }
        if (n == 0) {
            break;
        }
        done += static_cast<std::size_t>(n);
    }
    if (done > max_bytes) {
        too_large(name, max_bytes);
    }
    out.resize(done);
    return out;
}

std::vector<std::filesystem::path> files_in(const std::filesystem::path& dir,
                                            std::string_view extension) {
    std::vector<std::filesystem::path> out;
    std::error_code ec;
    std::filesystem::directory_iterator it(dir, ec);
    for (; !ec && it != std::filesystem::directory_iterator(); it.increment(ec)) {
        if (it->path().extension() == extension && it->is_regular_file(ec)) {
            out.push_back(it->path());
        }
    }
    if (ec) {
        throw Error(ErrorKind::io, dir.string(), "cannot list the folder: " + ec.message());
    }
    std::sort(out.begin(), out.end());
    return out;
}

std::string read_text_stream(std::istream& in, const std::string& name, std::size_t max_bytes) {
    std::string out;
    char buffer[65536];
    while (in.read(buffer, sizeof buffer) || in.gcount() > 0) {
        out.append(buffer, static_cast<std::size_t>(in.gcount()));
        if (out.size() > max_bytes) {
            too_large(name, max_bytes);
        }
    }
    return out;
}

} // namespace vramplan
