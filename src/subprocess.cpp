#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <vramplan/error.hpp>
#include <vramplan/subprocess.hpp>

#include <array>
#include <cerrno>
#include <cstring>

namespace vramplan {

namespace {

struct Pipe {
    int fd[2] = {-1, -1};
    Pipe() {
        if (::pipe2(fd, O_CLOEXEC) != 0) {
            throw Error(ErrorKind::io, {},
                        std::string("cannot create a pipe: ") + std::strerror(errno));
        }
    }
    ~Pipe() {
        close_end(0);
        close_end(1);
    }
    Pipe(const Pipe&) = delete;
    Pipe& operator=(const Pipe&) = delete;
    void close_end(int i) {
        if (fd[i] >= 0) {
            ::close(fd[i]);
            fd[i] = -1;
        }
    }
};

void append_capped(std::string& to, const char* data, std::size_t n, std::size_t cap) {
    if (to.size() < cap) {
        to.append(data, std::min(n, cap - to.size()));
    }
}

} // namespace

ProcessResult run_process(const std::vector<std::string>& argv, std::chrono::milliseconds timeout,
                          std::size_t max_output) {
    if (argv.empty()) {
        throw Error(ErrorKind::internal, {}, "run_process without a program");
    }
    Pipe out;
    Pipe err;
    std::vector<char*> args;
    args.reserve(argv.size() + 1);
    for (const auto& a : argv) {
        args.push_back(const_cast<char*>(a.c_str()));
    }
    args.push_back(nullptr);
    const pid_t pid = ::fork();
    if (pid < 0) {
        throw Error(ErrorKind::io, {},
                    std::string("cannot start a process: ") + std::strerror(errno));
    }
    if (pid == 0) {
        // The child: its own process group, so that a timeout kills what it started too.
        ::setpgid(0, 0);
        ::dup2(out.fd[1], STDOUT_FILENO);
        ::dup2(err.fd[1], STDERR_FILENO);
        const int devnull = ::open("/dev/null", O_RDONLY);
        if (devnull >= 0) {
            ::dup2(devnull, STDIN_FILENO);
        }
        ::execvp(args[0], args.data());
        ::_exit(k_exit_not_started);
    }
    out.close_end(1);
    err.close_end(1);

    ProcessResult r;
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    std::array<pollfd, 2> fds{{{out.fd[0], POLLIN, 0}, {err.fd[0], POLLIN, 0}}};
    std::array<char, 4096> buf{};
    int open_ends = 2;
    while (open_ends > 0) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) {
            r.timed_out = true;
            ::kill(-pid, SIGKILL);
            break;
        }
        const int n = ::poll(fds.data(), fds.size(), static_cast<int>(left.count()));
        if (n < 0 && errno == EINTR) {
            continue;
        }
        for (std::size_t i = 0; i < fds.size(); ++i) {
            if (fds[i].fd < 0 || (fds[i].revents & (POLLIN | POLLHUP | POLLERR)) == 0) {
                continue;
            }
            const ssize_t got = ::read(fds[i].fd, buf.data(), buf.size());
            if (got > 0) {
                append_capped(i == 0 ? r.out : r.err, buf.data(), static_cast<std::size_t>(got),
                              max_output);
            } else if (got == 0 || errno != EINTR) {
                fds[i].fd = -1;
                --open_ends;
            }
        }
    }
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    if (WIFEXITED(status)) {
        r.exit_code = WEXITSTATUS(status);
    } else if (WIFSIGNALED(status)) {
        r.exit_code = 128 + WTERMSIG(status);
    }
    return r;
}

ProcessResult run_shell(const std::string& command, std::chrono::milliseconds timeout) {
    return run_process({"/bin/sh", "-c", command}, timeout);
}

} // namespace vramplan
