#pragma once
// An HTTP endpoint a command talks to (a llama-server: `loadtest --url`, `verify`'s /health
// wait), and whether it is on this machine. Loopback only unless the user says otherwise: a
// load test is not something to point at someone else's server by accident.

#include <cstdint>
#include <string>
#include <string_view>

namespace vramplan {

struct Endpoint {
    std::string scheme = "http"; // "http" or "https"
    std::string host;            // "localhost", "127.0.0.1", "::1" (without brackets)
    std::uint16_t port = 80;
    std::string base_path; // "" or "/prefix" (no trailing slash)
    std::string text;      // as given

    // "http://127.0.0.1:8001", the form the HTTP client is built from.
    std::string origin() const;
};

// "http://HOST[:PORT][/PATH]", "https://..." or "HOST:PORT" (http). Throws ErrorKind::usage
// naming `url` and what is wrong with it.
Endpoint parse_endpoint(std::string_view url);

// True for "localhost", 127.0.0.0/8 and ::1, and for a name that resolves to loopback
// addresses only (getaddrinfo).
bool is_loopback(const Endpoint& e);

// The rule for sending load (`loadtest --url`, `verify --load`): throws ErrorKind::usage naming
// `flag` when `e` is not loopback and `allow_remote` is false.
void require_loopback(const Endpoint& e, bool allow_remote, const std::string& flag);

} // namespace vramplan
