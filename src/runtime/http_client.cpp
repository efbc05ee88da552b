#include <httplib.h>
#include <poll.h>
#include <sys/socket.h>

#include <vramplan/runtime/http_client.hpp>

#include <fmt/format.h>

#include <array>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <mutex>
#include <optional>
#include <thread>

namespace vramplan {

// Why the deadline and the caps are enforced where they are.
//
// cpp-httplib's timeouts bound each wait for bytes, not the request: a server that sends one
// header byte every half second never trips a 3 s read timeout, and the status line and header
// lines are read into memory without a limit. Neither can be fixed above cpp-httplib (the content
// receiver is called only once the headers are in), so for http:// the bytes are guarded below
// its parser: the client is a subclass of httplib::ClientImpl overriding process_socket, the
// virtual through which cpp-httplib hands each request the stream of its socket (its SSLClient
// overrides the same function for TLS). Our stream waits with poll() for at most what is left of
// the request's deadline before every read and write, and counts what is read: the bytes before
// the body begins against the header cap, all bytes against a wire cap (header cap plus twice the
// body cap: chunk framing, trailers) so that no line cpp-httplib grows in memory is unbounded.
// The body cap itself is counted exactly where the body is delivered (the content receiver).
// Request writing, response parsing, chunked transfer coding, decompression and keep-alive stay
// cpp-httplib's; if a new cpp-httplib changes process_socket, `override` stops the build.
//
// A watchdog thread that shuts the socket down at the deadline bounds time but not memory (a fast
// server fills gigabytes of headers well within a deadline), and a client of our own on a raw
// socket would lose https. https:// keeps cpp-httplib's TLS stream, so there the deadline is
// held by that watchdog (ClientImpl::stop, which cpp-httplib documents as safe to call from
// another thread during a request) and the body cap by the receiver; header bytes are bounded
// only by the deadline (docs/verify.md).

namespace {

using clock = std::chrono::steady_clock;

// One request's limits and what tripped them, shared by the stream and the receiver.
struct Guard {
    clock::time_point deadline;
    std::size_t header_cap = 0;
    std::size_t wire_cap = 0;
    std::size_t wire_bytes = 0;
    bool body_started = false;
    bool timed_out = false;
    bool header_too_large = false;
    bool wire_too_large = false;

    // Waits until `fd` is ready for `events`, at most until the deadline.
    bool wait(int fd, short events) {
        for (;;) {
            const auto left =
                std::chrono::ceil<std::chrono::milliseconds>(deadline - clock::now()).count();
            if (left <= 0) {
                timed_out = true;
                return false;
            }
            pollfd p{fd, events, 0};
            const int n = ::poll(&p, 1, static_cast<int>(std::min<long long>(left, 1 << 30)));
            if (n > 0) {
                return true;
            }
            if (n < 0 && errno != EINTR) {
                return false;
            }
        }
    }
};

// The socket of one http:// request, read and written within the guard's limits.
class GuardedStream final : public httplib::Stream {
public:
    GuardedStream(int fd, Guard& guard) : m_fd(fd), m_guard(guard) {}

    bool is_readable() const override { return m_off < m_len || m_guard.wait(m_fd, POLLIN); }
    bool is_writable() const override { return m_guard.wait(m_fd, POLLOUT); }

    ssize_t read(char* ptr, size_t size) override {
        if (m_off == m_len) {
            if (!m_guard.wait(m_fd, POLLIN)) {
                return -1;
            }
            ssize_t n = 0;
            do {
                n = ::recv(m_fd, m_buf.data(), m_buf.size(), 0);
            } while (n < 0 && errno == EINTR);
            if (n <= 0) {
                return n;
            }
            m_off = 0;
            m_len = static_cast<std::size_t>(n);
        }
        const std::size_t n = std::min(size, m_len - m_off);
        // Counted as delivered: cpp-httplib reads the head a byte at a time.
        m_guard.wire_bytes += n;
        if (!m_guard.body_started && m_guard.wire_bytes > m_guard.header_cap) {
            m_guard.header_too_large = true;
            return -1;
        }
        if (m_guard.wire_bytes > m_guard.wire_cap) {
            m_guard.wire_too_large = true;
            return -1;
        }
        std::memcpy(ptr, m_buf.data() + m_off, n);
        m_off += n;
        return static_cast<ssize_t>(n);
    }

    ssize_t write(const char* ptr, size_t size) override {
        if (!m_guard.wait(m_fd, POLLOUT)) {
            return -1;
        }
        ssize_t n = 0;
        do {
            n = ::send(m_fd, ptr, size, MSG_NOSIGNAL);
        } while (n < 0 && errno == EINTR);
        return n;
    }

    void get_remote_ip_and_port(std::string& ip, int& port) const override {
        ip.clear();
        port = 0;
    }
    void get_local_ip_and_port(std::string& ip, int& port) const override {
        ip.clear();
        port = 0;
    }
    socket_t socket() const override { return m_fd; }

private:
    int m_fd;
    Guard& m_guard;
    std::array<char, 16384> m_buf{};
    std::size_t m_off = 0;
    std::size_t m_len = 0;
};

// http:// with every read and write of a request guarded.
class GuardedClient final : public httplib::ClientImpl {
public:
    GuardedClient(const std::string& host, int port) : httplib::ClientImpl(host, port) {}
    Guard* guard = nullptr; // set for the duration of each request

private:
    bool process_socket(const Socket& socket,
                        std::function<bool(httplib::Stream& strm)> callback) override {
        if (guard == nullptr) {
            return false;
        }
        GuardedStream stream(socket.sock, *guard);
        return callback(stream);
    }
};

// https://: stops the client when the deadline passes (cpp-httplib then fails the request).
class Watchdog {
public:
    Watchdog(httplib::ClientImpl& client, clock::time_point deadline)
        : m_thread([this, &client, deadline] {
              std::unique_lock lock(m_mutex);
              if (!m_wake.wait_until(lock, deadline, [this] { return m_done; })) {
                  client.stop();
              }
          }) {}
    ~Watchdog() {
        {
            const std::lock_guard lock(m_mutex);
            m_done = true;
        }
        m_wake.notify_all();
        m_thread.join();
    }
    Watchdog(const Watchdog&) = delete;
    Watchdog& operator=(const Watchdog&) = delete;

private:
    std::mutex m_mutex;
    std::condition_variable m_wake;
    bool m_done = false;
    std::thread m_thread; // last: started once the rest exists
};

std::string bytes_text(std::size_t n) {
    return n % (1024 * 1024) == 0 ? fmt::format("{} MiB", n / (1024 * 1024))
           : n % 1024 == 0        ? fmt::format("{} KiB", n / 1024)
                                  : fmt::format("{} bytes", n);
}

} // namespace

struct HttpClient::Impl {
    Endpoint endpoint;
    std::unique_ptr<httplib::ClientImpl> client;
    GuardedClient* guarded = nullptr; // client, for http://
    explicit Impl(const Endpoint& e) : endpoint(e) {
        if (e.scheme == "https") {
            client = std::make_unique<httplib::SSLClient>(e.host, e.port);
        } else {
            auto g = std::make_unique<GuardedClient>(e.host, e.port);
            guarded = g.get();
            client = std::move(g);
        }
    }
};

HttpClient::HttpClient(const Endpoint& endpoint) : m_impl(std::make_unique<Impl>(endpoint)) {
    // llama-server answers one connection per slot; keep-alive saves a handshake per request.
    m_impl->client->set_keep_alive(true);
    // cpp-httplib writes the headers and the body separately: with Nagle's algorithm the body
    // waits for the server's delayed ACK (40 ms on Linux), which a latency figure must not hold.
    m_impl->client->set_tcp_nodelay(true);
}

HttpClient::~HttpClient() = default;

HttpResponse HttpClient::send(const HttpRequest& request) {
    httplib::ClientImpl& c = *m_impl->client;
    const auto timeout = std::chrono::duration_cast<std::chrono::microseconds>(request.timeout);
    // Each wait (connecting, and every wait for bytes with https) is bounded by the whole
    // timeout; the guard (http) or the watchdog (https) bounds the request as a whole.
    c.set_connection_timeout(timeout);
    c.set_read_timeout(timeout);
    c.set_write_timeout(timeout);

    Guard guard;
    guard.deadline = clock::now() + request.timeout;
    guard.header_cap = request.max_header_bytes;
    guard.wire_cap = request.max_header_bytes + 2 * request.max_body_bytes;
    bool past_deadline = false;
    bool stopped = false;
    bool body_too_large = false;
    std::size_t received = 0;

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
        guard.body_started = true;
        if (clock::now() > guard.deadline) {
            past_deadline = true;
            return false;
        }
        if (size > request.max_body_bytes - std::min(received, request.max_body_bytes)) {
            body_too_large = true;
            return false;
        }
        received += size;
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
    std::optional<httplib::Result> sent;
    if (m_impl->guarded != nullptr) {
        m_impl->guarded->guard = &guard;
        sent.emplace(c.send(req));
        m_impl->guarded->guard = nullptr;
    } else {
        const Watchdog watchdog(c, guard.deadline);
        sent.emplace(c.send(req));
    }
    const httplib::Result& result = *sent;
    HttpResponse out;
    if (result) {
        out.status = result->status;
        out.body = std::move(body);
        return out;
    }
    const httplib::Error error = result.error();
    out.stopped = stopped;
    out.message = httplib::to_string(error);
    if (guard.header_too_large) {
        out.failure = HttpFailure::too_large;
        out.message = fmt::format("the status line and headers passed {}",
                                  bytes_text(request.max_header_bytes));
    } else if (body_too_large || guard.wire_too_large) {
        out.failure = HttpFailure::too_large;
        out.message = fmt::format("the body passed {}", bytes_text(request.max_body_bytes));
    } else if (guard.timed_out || past_deadline || clock::now() >= guard.deadline) {
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
