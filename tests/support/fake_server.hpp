#pragma once
// Starts tests/tools/fake_llama_server (an OpenAI-compatible test server) for one test: on a free
// loopback port, its output discarded, stopped when the object goes out of scope.

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include <chrono>
#include <csignal>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

extern char** environ;

namespace vramplan::test {

class FakeServer {
public:
    explicit FakeServer(std::vector<std::string> args) {
        namespace fs = std::filesystem;
        m_dir = fs::temp_directory_path() /
                ("vramplan-fake-" + std::to_string(getpid()) + "-" + std::to_string(s_next++));
        fs::create_directories(m_dir);
        const std::string port_file = (m_dir / "port").string();
        args.insert(args.begin(), {VRAMPLAN_FAKE_SERVER, "--port-file", port_file});
        std::vector<char*> argv;
        for (auto& a : args) {
            argv.push_back(a.data());
        }
        argv.push_back(nullptr);
        posix_spawn_file_actions_t actions;
        posix_spawn_file_actions_init(&actions);
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0);
        const int rc = posix_spawn(&m_pid, argv[0], &actions, nullptr, argv.data(), environ);
        posix_spawn_file_actions_destroy(&actions);
        REQUIRE(rc == 0);
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
        while (!fs::exists(port_file) && std::chrono::steady_clock::now() < deadline) {
            std::this_thread::sleep_for(std::chrono::milliseconds(5));
        }
        std::ifstream(port_file) >> m_port;
        REQUIRE(m_port > 0);
    }
    ~FakeServer() {
        if (m_pid > 0) { // never kill(-1): that signals every process
            kill(m_pid, SIGKILL);
            waitpid(m_pid, nullptr, 0);
        }
        std::error_code ec;
        std::filesystem::remove_all(m_dir, ec);
    }
    FakeServer(const FakeServer&) = delete;
    FakeServer& operator=(const FakeServer&) = delete;

    std::uint16_t port() const { return m_port; }
    std::string url() const { return "http://127.0.0.1:" + std::to_string(m_port); }

    // Waits until the server process has exited (a server told to die), at most 10 s.
    bool wait_exit() {
        for (int i = 0; i < 2000; ++i) {
            if (waitpid(m_pid, nullptr, WNOHANG) == m_pid) {
                m_pid = -1;
                return true;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(5));
        }
        return false;
    }

private:
    static inline int s_next = 0;
    std::filesystem::path m_dir;
    pid_t m_pid = -1;
    std::uint16_t m_port = 0;
};

} // namespace vramplan::test
