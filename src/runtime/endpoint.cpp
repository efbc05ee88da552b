#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <vramplan/base/error.hpp>
#include <vramplan/base/strings.hpp>
#include <vramplan/runtime/endpoint.hpp>

#include <fmt/format.h>

#include <cstring>

namespace vramplan {

std::string Endpoint::origin() const {
    const bool v6 = host.find(':') != std::string::npos;
    return fmt::format("{}://{}{}{}:{}", scheme, v6 ? "[" : "", host, v6 ? "]" : "", port);
}

Endpoint parse_endpoint(std::string_view url) {
    Endpoint e;
    e.text = std::string(url);
    const auto bad = [&](const std::string& why) {
        return Error(ErrorKind::usage, "--url",
                     fmt::format("'{}' is not an HTTP endpoint: {}", url, why),
                     "write it as http://HOST:PORT, e.g. http://127.0.0.1:8001");
    };
    std::string_view rest = url;
    if (const auto sep = rest.find("://"); sep != std::string_view::npos) {
        e.scheme = to_lower(rest.substr(0, sep));
        rest.remove_prefix(sep + 3);
        if (e.scheme != "http" && e.scheme != "https") {
            throw bad(fmt::format("the scheme '{}' is not http or https", e.scheme));
        }
    }
    e.port = e.scheme == "https" ? 443 : 80;
    std::string_view authority = rest.substr(0, rest.find('/'));
    if (authority.size() < rest.size()) {
        std::string_view path = rest.substr(authority.size());
        while (path.ends_with('/')) {
            path.remove_suffix(1);
        }
        e.base_path = std::string(path);
    }
    if (authority.find('@') != std::string_view::npos) {
        throw bad("user names in the address are not supported");
    }
    std::string_view port_text;
    if (authority.starts_with('[')) {
        const auto close = authority.find(']');
        if (close == std::string_view::npos) {
            throw bad("an IPv6 address needs its closing ']'");
        }
        e.host = std::string(authority.substr(1, close - 1));
        const std::string_view after = authority.substr(close + 1);
        if (!after.empty()) {
            if (!after.starts_with(':')) {
                throw bad("expected ':PORT' after the IPv6 address");
            }
            port_text = after.substr(1);
        }
    } else {
        const auto colon = authority.rfind(':');
        e.host = std::string(authority.substr(0, colon));
        if (colon != std::string_view::npos) {
            port_text = authority.substr(colon + 1);
        }
    }
    if (e.host.empty()) {
        throw bad("no host");
    }
    if (!authority.starts_with('[') && e.host.find(':') != std::string::npos) {
        throw bad("write an IPv6 address in brackets: http://[::1]:8001");
    }
    if (!port_text.empty() || authority.ends_with(':')) {
        const auto port = parse_unsigned(port_text);
        if (!port || *port == 0 || *port > 65535) {
            throw bad(fmt::format("the port '{}' is not a number from 1 to 65535", port_text));
        }
        e.port = static_cast<std::uint16_t>(*port);
    }
    return e;
}

bool is_loopback(const Endpoint& e) {
    const std::string host = to_lower(e.host);
    if (host == "localhost" || host.ends_with(".localhost")) {
        return true; // RFC 6761: always loopback
    }
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* found = nullptr;
    if (getaddrinfo(host.c_str(), nullptr, &hints, &found) != 0 || found == nullptr) {
        return false; // unresolvable: not known to be local
    }
    bool all_loopback = true;
    for (const addrinfo* a = found; a != nullptr; a = a->ai_next) {
        if (a->ai_family == AF_INET) {
            sockaddr_in v4{};
            std::memcpy(&v4, a->ai_addr, sizeof v4);
            all_loopback = all_loopback && (ntohl(v4.sin_addr.s_addr) >> 24) == 127;
        } else if (a->ai_family == AF_INET6) {
            sockaddr_in6 v6{};
            std::memcpy(&v6, a->ai_addr, sizeof v6);
            all_loopback = all_loopback && IN6_IS_ADDR_LOOPBACK(&v6.sin6_addr);
        } else {
            all_loopback = false;
        }
    }
    freeaddrinfo(found);
    return all_loopback;
}

void require_loopback(const Endpoint& e, bool allow_remote, const std::string& flag) {
    if (!allow_remote && !is_loopback(e)) {
        throw Error(ErrorKind::usage, flag,
                    fmt::format("{} is not a loopback address: load goes to this machine's "
                                "servers unless you say otherwise",
                                e.text),
                    "pass --allow-remote to send it to a server elsewhere (one you run)");
    }
}

} // namespace vramplan
