#pragma once
// The one error type of the core library. Thrown by the core, caught once in src/cli/main.cpp.

#include <stdexcept>
#include <string>

namespace vramplan {

enum class ErrorKind {
    usage,       // a bad flag or argument
    io,          // a file that cannot be opened, read or written
    format,      // a malformed binary file (GGUF)
    data,        // a data file with a bad value (YAML), an unknown model or GPU name
    unavailable, // something the command needs is not on this machine (NVML, nvidia-smi)
    internal,    // a bug in vramplan
};

// Exit codes shared by every command (docs/cli.md).
inline constexpr int k_exit_ok = 0;
inline constexpr int k_exit_does_not_fit = 1;
inline constexpr int k_exit_bad_input = 2;
inline constexpr int k_exit_internal = 3;

int exit_code(ErrorKind kind);

// `where` names the file (and line or byte offset) when known; `hint` says what to do next.
class Error : public std::runtime_error {
public:
    Error(ErrorKind kind, std::string where, const std::string& what, std::string hint = {});

    ErrorKind kind() const { return m_kind; }
    const std::string& where() const { return m_where; }
    const std::string& message() const { return m_message; }
    const std::string& hint() const { return m_hint; }

    // Returns a copy whose `where` is prefixed with `outer` ("model.gguf" + "offset 0x18").
    Error within(const std::string& outer) const;

private:
    ErrorKind m_kind;
    std::string m_where;
    std::string m_message;
    std::string m_hint;
};

} // namespace vramplan
