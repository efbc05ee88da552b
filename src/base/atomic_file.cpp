#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <vramplan/base/atomic_file.hpp>
#include <vramplan/base/error.hpp>
#include <vramplan/base/text_file.hpp>

#include <fmt/format.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <optional>
#include <string>

namespace vramplan {

namespace {

[[noreturn]] void throw_io(const std::filesystem::path& path, const char* what, int err) {
    throw Error(ErrorKind::io, path.string(), std::string(what) + ": " + std::strerror(err));
}

// Temporary and backup files are named after their target, so that a later run can recognise
// and remove those a killed run (SIGKILL cannot be deferred) left behind.
std::string temp_prefix(const std::filesystem::path& target) {
    return "." + target.filename().string() + ".vramplan-tmp-";
}

// Holds SIGINT, SIGTERM, SIGHUP and SIGQUIT while files are staged and renamed: a signal that
// arrives meanwhile takes effect once the files are complete or cleaned up, not halfway.
class DeferredSignals {
public:
    DeferredSignals() {
        sigset_t set;
        sigemptyset(&set);
        for (const int s : {SIGINT, SIGTERM, SIGHUP, SIGQUIT}) {
            sigaddset(&set, s);
        }
        ::pthread_sigmask(SIG_BLOCK, &set, &m_old);
    }
    ~DeferredSignals() { ::pthread_sigmask(SIG_SETMASK, &m_old, nullptr); }
    DeferredSignals(const DeferredSignals&) = delete;
    DeferredSignals& operator=(const DeferredSignals&) = delete;

private:
    sigset_t m_old{};
};

// One file written beside its target, not yet in place; removed unless committed.
class StagedFile {
public:
    StagedFile(const std::filesystem::path& target, std::span<const std::byte> content,
               std::uint64_t total_size)
        : m_target(target) {
        const std::filesystem::path dir =
            target.has_parent_path() ? target.parent_path() : std::filesystem::path(".");
        std::string tmpl = (dir / (temp_prefix(target) + "XXXXXX")).string();
        const int fd = ::mkstemp(tmpl.data());
        if (fd < 0) {
            throw_io(target, "cannot create a temporary file beside it", errno);
        }
        m_temp = tmpl;
        try {
            fill(fd, content, total_size);
        } catch (...) {
            ::close(fd);
            ::unlink(m_temp.c_str());
            throw;
        }
        if (::close(fd) != 0) {
            const int err = errno;
            ::unlink(m_temp.c_str());
            throw_io(target, "cannot close", err);
        }
    }
    ~StagedFile() {
        if (!m_temp.empty()) {
            ::unlink(m_temp.c_str());
        }
    }
    StagedFile(const StagedFile&) = delete;
    StagedFile& operator=(const StagedFile&) = delete;
    StagedFile(StagedFile&&) = delete;

    const std::filesystem::path& target() const { return m_target; }

    // Renames the staged file over the target. The old target, if any, is kept as a hard link
    // (`backup`) so that the set can be rolled back.
    void commit(std::optional<std::string>& backup) {
        struct stat st {};
        if (::lstat(m_target.c_str(), &st) == 0) {
            std::string b = m_temp + ".old";
            if (::link(m_target.c_str(), b.c_str()) == 0) {
                backup = std::move(b);
            }
        }
        if (::rename(m_temp.c_str(), m_target.c_str()) != 0) {
            const int err = errno;
            if (backup) {
                ::unlink(backup->c_str());
                backup.reset();
            }
            throw_io(m_target, "cannot rename into place", err);
        }
        m_temp.clear();
    }

private:
    void fill(int fd, std::span<const std::byte> content, std::uint64_t total_size) {
        std::size_t done = 0;
        while (done < content.size()) {
            const ssize_t n = ::write(fd, content.data() + done, content.size() - done);
            if (n < 0) {
                if (errno == EINTR) {
                    continue;
                }
                throw_io(m_target, "cannot write", errno);
            }
            done += static_cast<std::size_t>(n);
        }
        if (total_size > content.size() && ::ftruncate(fd, static_cast<off_t>(total_size)) != 0) {
            throw_io(m_target, "cannot extend", errno);
        }
        // A replaced file keeps its mode and, where allowed, its owner; a new one is 0644.
        struct stat st {};
        mode_t mode = 0644;
        if (::stat(m_target.c_str(), &st) == 0 && S_ISREG(st.st_mode)) {
            mode = st.st_mode & 07777;
            (void)::fchown(fd, st.st_uid, st.st_gid); // only root may give a file away
        }
        if (::fchmod(fd, mode) != 0 || ::fsync(fd) != 0) {
            throw_io(m_target, "cannot finish writing", errno);
        }
    }

    std::filesystem::path m_target;
    std::string m_temp;
};

void remove_stale_temporaries(const std::filesystem::path& dir,
                              const std::vector<MarkedFile>& files) {
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
        const std::string name = entry.path().filename().string();
        for (const auto& f : files) {
            if (name.starts_with(temp_prefix(dir / f.name))) {
                std::filesystem::remove(entry.path(), ec);
            }
        }
    }
}

// What follows the user-lines marker in `old` ("" when the marker ends the file).
std::optional<std::string> user_lines(const std::string& old) {
    const std::size_t at = old.find(k_user_lines_marker);
    const std::size_t end = at + k_user_lines_marker.size();
    if (at == std::string::npos || (at > 0 && old[at - 1] != '\n') || end >= old.size() ||
        old[end] != '\n') {
        return std::nullopt;
    }
    return old.substr(end + 1);
}

} // namespace

void write_file_atomically(const std::filesystem::path& path, std::span<const std::byte> content,
                           std::uint64_t total_size, bool overwrite) {
    std::error_code ec;
    if (!overwrite && std::filesystem::exists(path, ec)) {
        throw Error(ErrorKind::usage, path.string(), "file exists",
                    "pass --force to replace it, or choose another path");
    }
    const DeferredSignals deferred;
    StagedFile staged(path, content, total_size);
    std::optional<std::string> backup;
    staged.commit(backup);
    if (backup) {
        ::unlink(backup->c_str());
    }
}

void write_marked_files(const std::filesystem::path& dir, const std::vector<MarkedFile>& files,
                        std::string_view marker, bool force) {
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec) {
        throw Error(ErrorKind::io, dir.string(), "cannot create the folder: " + ec.message());
    }
    // Check everything, and build every file's final content, before writing anything.
    std::vector<std::string> contents;
    for (const auto& f : files) {
        const std::filesystem::path path = dir / f.name;
        std::string content = f.content;
        if (std::filesystem::exists(path, ec)) {
            const std::string old = read_text_file(path);
            if (!force && !old.starts_with(marker)) {
                throw Error(ErrorKind::usage, path.string(),
                            "exists and was not written by vramplan",
                            "pass --force to replace it; nothing was written");
            }
            if (f.keeps_user_lines) {
                const auto kept = user_lines(old);
                if (!kept && !force) {
                    throw Error(ErrorKind::usage, path.string(),
                                "lines added to it could not be told from vramplan's own (it "
                                "predates the marker line vramplan now writes)",
                                "move your own lines elsewhere, then pass --force; nothing was "
                                "written");
                }
                content += kept.value_or("");
            }
        }
        contents.push_back(std::move(content));
    }
    const DeferredSignals deferred;
    remove_stale_temporaries(dir, files);
    std::vector<std::unique_ptr<StagedFile>> staged;
    for (std::size_t i = 0; i < files.size(); ++i) {
        const auto* bytes = reinterpret_cast<const std::byte*>(contents[i].data());
        staged.push_back(std::make_unique<StagedFile>(
            dir / files[i].name, std::span(bytes, contents[i].size()), contents[i].size()));
    }
    // Commit all, or roll back those done: each replaced target returns from its backup, each
    // new one is removed.
    std::vector<std::optional<std::string>> backups(staged.size());
    std::size_t done = 0;
    try {
        for (; done < staged.size(); ++done) {
            staged[done]->commit(backups[done]);
        }
    } catch (...) {
        for (std::size_t i = 0; i < done; ++i) {
            if (backups[i]) {
                ::rename(backups[i]->c_str(), staged[i]->target().c_str());
            } else {
                ::unlink(staged[i]->target().c_str());
            }
        }
        throw;
    }
    for (const auto& b : backups) {
        if (b) {
            ::unlink(b->c_str());
        }
    }
    // The renames themselves reach the disk with the folder.
    const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        (void)::fsync(dfd);
        ::close(dfd);
    }
}

} // namespace vramplan
