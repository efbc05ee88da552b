#include <httplib.h>

#include <vramplan/http_client.hpp>

#include <fmt/format.h>

namespace vramplan {

struct HttpClient::Impl {
    Endpoint endpoint;
    httplib::Client client;
    explicit Impl(const Endpoint& e) : endpoint(e), client(e.origin()) {}
};

HttpClient::HttpClient(const Endpoint& endpoint) : m_impl(std::make_unique<Impl>(endpoint)) {
    // llama-server answers one connection per slot; keep-alive saves a handshake per request.
    m_impl->client.set_keep_alive(true);
    // cpp-httplib writes the headers and the body separately: with Nagle's algorithm the body
    // waits for the server's delayed ACK (40 ms on Linux), which a latency figure must not hold.
    m_impl->client.set_tcp_nodelay(true);
}

HttpClient::~HttpClient() = default;

HttpResponse HttpClient::send(const HttpRequest& request) {
    using clock = std::chrono::steady_clock;
    httplib::Client& c = m_impl->client;
    const auto timeout = std::chrono::duration_cast<std::chrono::microseconds>(request.timeout);
    // The read timeout bounds each wait for bytes; the deadline below bounds the whole request.
    c.set_connection_timeout(timeout);
    c.set_read_timeout(timeout);
    c.set_write_timeout(timeout);

    const auto deadline = clock::now() + request.timeout;
    bool past_deadline = false;
    bool stopped = false;

    httplib::Request req;
    req.method = request.method;
    req.path = m_impl->endpoint.base_path + request.path;
    if (!request.body.empty()) {
        req.body = request.body;
        req.set_header("Content-Type", "application/json");
    }
    req.set_header("Accept", request.on_chunk ? "text/event-stream" : "application/json");
    std::string body;
    req.content_receiver = [&](const char* data, std::size_t size, std::uint64_t, std::uint64_t) {
        if (clock::now() > deadline) {
            past_deadline = true;
            return false;
        }
        const std::string_view chunk(data, size);
        if (request.on_chunk) {
            if (!request.on_chunk(chunk)) {
                stopped = true;
                return false;
            }
        } else {
            body.append(chunk);
        }
        return true;
    };

    // A kept-alive connection the server has closed since is noticed by cpp-httplib before it is
    // reused (is_socket_alive), so a failure here is about the server now.
    const httplib::Result result = c.send(req);
    HttpResponse out;
    if (result) {
        out.status = result->status;
        out.body = std::move(body);
        return out;
    }
    const httplib::Error error = result.error();
    out.stopped = stopped;
    out.message = httplib::to_string(error);
    if (past_deadline || clock::now() >= deadline) {
        out.failure = HttpFailure::timeout;
        out.message = fmt::format("no complete response within {} ms", request.timeout.count());
    } else if (stopped) {
        out.failure = HttpFailure::other;
        out.message = "stopped by the reader";
    } else if (error == httplib::Error::Connection || error == httplib::Error::ConnectionTimeout) {
        out.failure = HttpFailure::refused;
        out.message = fmt::format("cannot connect to {}", m_impl->endpoint.origin());
    } else if (error == httplib::Error::Read || error == httplib::Error::Write) {
        out.failure = HttpFailure::disconnected;
        out.message = "the connection closed before the response was complete";
    } else {
        out.failure = HttpFailure::other;
    }
    return out;
}

} // namespace vramplan
