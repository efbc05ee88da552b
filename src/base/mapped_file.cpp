#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <vramplan/base/error.hpp>
#include <vramplan/base/mapped_file.hpp>

#include <cerrno>
#include <cstring>

namespace vramplan {

namespace {

[[noreturn]] void throw_io(const std::filesystem::path& path, const char* what, int err) {
    throw Error(ErrorKind::io, path.string(), std::string(what) + ": " + std::strerror(err));
}

} // namespace

std::shared_ptr<const MappedFile> MappedFile::open(const std::filesystem::path& path) {
    // O_NONBLOCK: opening a FIFO would otherwise wait for a writer; it is refused below.
    const int fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
        throw_io(path, "cannot open", errno);
    }
    struct stat st {};
    if (::fstat(fd, &st) != 0) {
        const int err = errno;
        ::close(fd);
        throw_io(path, "cannot stat", err);
    }
    if (S_ISDIR(st.st_mode)) {
        ::close(fd);
        throw Error(ErrorKind::io, path.string(), "is a directory, not a file");
    }
    if (!S_ISREG(st.st_mode)) {
        ::close(fd);
        throw Error(ErrorKind::io, path.string(),
                    "is a FIFO, socket or device, not a regular file");
    }
    const auto size = static_cast<std::size_t>(st.st_size);
    if (size == 0) {
        ::close(fd);
        return std::shared_ptr<const MappedFile>(new MappedFile(nullptr, 0));
    }
    void* data = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
    const int err = errno;
    ::close(fd);
    if (data == MAP_FAILED) {
        throw_io(path, "cannot map", err);
    }
    return std::shared_ptr<const MappedFile>(
        new MappedFile(static_cast<const std::byte*>(data), size));
}

MappedFile::~MappedFile() {
    if (m_data != nullptr) {
        ::munmap(const_cast<std::byte*>(m_data), m_size);
    }
}

} // namespace vramplan
