#pragma once
// Running another program and reading what it prints: nvidia-smi for GPU readings, and the
// commands `verify --up` starts services with. POSIX fork/exec, no shell unless asked for.

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

namespace vramplan {

struct ProcessResult {
    int exit_code = -1;     // the program's exit status; 127: it could not be started
    bool timed_out = false; // killed after the timeout
    std::string out;        // standard output
    std::string err;        // standard error
};

inline constexpr int k_exit_not_started = 127;

// Runs `argv` (argv[0] looked up on PATH), waits at most `timeout`, and captures both outputs
// (each up to `max_output` bytes; the rest is read and dropped). Throws vramplan::Error only when
// no process can be created at all.
ProcessResult run_process(const std::vector<std::string>& argv, std::chrono::milliseconds timeout,
                          std::size_t max_output = 1 << 20);

// `command` through /bin/sh -c, for the user's own commands (`verify --up`).
ProcessResult run_shell(const std::string& command, std::chrono::milliseconds timeout);

} // namespace vramplan
