#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <vramplan/base/error.hpp>
#include <vramplan/runtime/subprocess.hpp>

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
    // Also set here: a timeout that comes before the child has run setpgid still reaches it.
    ::setpgid(pid, pid);
    out.close_end(1);
    err.close_end(1);

    // Waited for is the program's exit, not the end of its output: a program may close its
    // output and keep running (the timeout must still kill it), or exit and leave a background
    // child holding the pipes (`--up 'server &'`: done once the shell exits). The exit is seen
    // through a pidfd that poll() watches beside the pipes (Linux 5.3); without one, by checking
    // every 10 ms.
    ProcessResult r;
    const auto deadline = std::chrono::steady_clock::now() + timeout;
#ifdef SYS_pidfd_open
    const int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
#else
    const int pidfd = -1;
#endif
    std::array<pollfd, 3> fds{{{out.fd[0], POLLIN, 0}, {err.fd[0], POLLIN, 0}, {pidfd, POLLIN, 0}}};
    std::array<char, 4096> buf{};
    // Reads the pipes poll() found ready; a pipe at its end is dropped from the set.
    const auto read_pipes = [&] {
        for (std::size_t i = 0; i < 2; ++i) {
            if (fds[i].fd < 0 || (fds[i].revents & (POLLIN | POLLHUP | POLLERR)) == 0) {
                continue;
            }
            const ssize_t got = ::read(fds[i].fd, buf.data(), buf.size());
            if (got > 0) {
                append_capped(i == 0 ? r.out : r.err, buf.data(), static_cast<std::size_t>(got),
                              max_output);
            } else if (got == 0 || errno != EINTR) {
                fds[i].fd = -1;
            }
        }
    };
    int status = 0;
    bool exited = false;
    for (;;) {
        const pid_t w = ::waitpid(pid, &status, WNOHANG);
        if (w == pid || (w < 0 && errno != EINTR)) {
            exited = true;
            // What it wrote before it exited is still in the pipes: read it, without waiting.
            while ((fds[0].fd >= 0 || fds[1].fd >= 0) &&
                   std::chrono::steady_clock::now() < deadline && ::poll(fds.data(), 2, 0) > 0) {
                read_pipes();
            }
            break;
        }
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) {
            r.timed_out = true;
            ::kill(-pid, SIGKILL); // its process group: what it started too
            ::kill(pid, SIGKILL);
            break;
        }
        // Closed pipes are -1 here and ignored by poll(): then it waits for the pidfd alone.
        const long long wait_ms = pidfd >= 0 ? left.count() : std::min<long long>(left.count(), 10);
        if (::poll(fds.data(), fds.size(), static_cast<int>(wait_ms)) > 0) {
            read_pipes();
        }
    }
    if (pidfd >= 0) {
        ::close(pidfd);
    }
    while (!exited && ::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
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
