#pragma once
// A small HTTP client for llama-server's API (cpp-httplib underneath, kept out of the headers):
// one request at a time per client, a whole-request deadline, the body whole or chunk by chunk
// as it arrives (server-sent events), and failures sorted by what the user can do about them.

#include <vramplan/runtime/endpoint.hpp>

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

namespace vramplan {

// llama-server's headers are a few hundred bytes; a completion of thousands of tokens, streamed
// chunk by chunk, a few MiB.
inline constexpr std::size_t k_http_max_header_bytes = 64 * 1024;
inline constexpr std::size_t k_http_max_body_bytes = 64 * 1024 * 1024;

enum class HttpFailure {
    none,         // a response arrived (whatever its status)
    refused,      // no connection: nothing listens there, or the host is unreachable
    timeout,      // the deadline passed before the response was complete
    disconnected, // the connection broke while sending or reading (a server that died)
    too_large,    // the headers or the body passed their cap (HttpRequest::max_*_bytes)
    other,        // TLS, redirects, anything else the library reports
};

struct HttpRequest {
    std::string method = "GET";
    std::string path = "/";                   // after the endpoint's base path
    std::string body;                         // sent as application/json when not empty
    std::chrono::milliseconds timeout{30000}; // the whole request, headers and body included
    // Caps on what the server may send: the status line and headers, and the body (after
    // decompression, streamed or not). Past either the request fails as `too_large`.
    std::size_t max_header_bytes = k_http_max_header_bytes;
    std::size_t max_body_bytes = k_http_max_body_bytes;
    // Called with each piece of the body as it arrives; returning false stops the request
    // (reported as `other`, with `stopped` set). Without it the body is collected.
    std::function<bool(std::string_view)> on_chunk;
};

struct HttpResponse {
    HttpFailure failure = HttpFailure::none;
    std::string message;  // what failed, for the report
    int status = 0;       // the HTTP status, when a response arrived
    std::string body;     // without on_chunk
    bool stopped = false; // on_chunk returned false
};

class HttpClient {
public:
    explicit HttpClient(const Endpoint& endpoint);
    ~HttpClient();
    HttpClient(const HttpClient&) = delete;
    HttpClient& operator=(const HttpClient&) = delete;

    HttpResponse send(const HttpRequest& request);

private:
    struct Impl;
    std::unique_ptr<Impl> m_impl;
};

} // namespace vramplan
