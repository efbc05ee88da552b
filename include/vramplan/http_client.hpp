#pragma once
// A small HTTP client for llama-server's API (cpp-httplib underneath, kept out of the headers):
// one request at a time per client, a whole-request deadline, the body whole or chunk by chunk
// as it arrives (server-sent events), and failures sorted by what the user can do about them.

#include <vramplan/endpoint.hpp>

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

namespace vramplan {

enum class HttpFailure {
    none,         // a response arrived (whatever its status)
    refused,      // no connection: nothing listens there, or the host is unreachable
    timeout,      // the deadline passed before the response was complete
    disconnected, // the connection broke while sending or reading (a server that died)
    other,        // TLS, redirects, anything else the library reports
};

struct HttpRequest {
    std::string method = "GET";
    std::string path = "/"; // after the endpoint's base path
    std::string body;       // sent as application/json when not empty
    std::chrono::milliseconds timeout{30000};
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
