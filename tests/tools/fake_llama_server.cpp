// An OpenAI-compatible test server that answers like llama-server (/health,
// /v1/chat/completions, streaming or not) with controllable latency and failures, for the
// loadtest and verify tests. Not a model: it sends a fixed number of tokens.
//
//   fake_llama_server --port-file F [--pid-file F] [--port N] [--latency-ms N] [--token-ms N]
//                     [--tokens N] [--fail-every N] [--hang-every N] [--die-after N]
//                     [--bad-every N] [--loading-ms N] [--lifetime-s N]
//   fake_llama_server --port-file F --raw MODE [--lifetime-s N]
//
// --fail-every N: every N-th request answers 500; --hang-every N: every N-th never answers;
// --bad-every N: every N-th answers 200 with a body that is not a completion; --die-after N:
// the process exits in the middle of the N-th answer (a server killed for out of memory);
// --loading-ms N: /health answers 503 "Loading model" for that long, as llama-server does.
//
// --raw MODE: a hostile server on a plain socket instead, answering every request the same way:
// drip-headers (a status line, then one header byte every 500 ms), endless-headers (header lines
// as fast as they go), endless-body (a chunked 200 that never ends), deep-error (a 500 whose
// JSON error is nested a million deep), deep-stream (an event stream whose data is nested a
// million deep), bad-utf8 (a 500 whose error message holds bytes that are not UTF-8).

#include <httplib.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <string>
#include <thread>

namespace {

struct Options {
    std::string raw;
    std::string port_file;
    std::string pid_file;
    int port = 0;
    int latency_ms = 0;
    int token_ms = 2;
    int tokens = 8;
    int fail_every = 0;
    int hang_every = 0;
    int bad_every = 0;
    int die_after = 0;
    int loading_ms = 0;
    int lifetime_s = 120;
};

bool every(int n, long count) {
    return n > 0 && count % n == 0;
}

int words(const std::string& body) {
    int n = 0;
    bool in_word = false;
    for (const char c : body) {
        const bool space = c == ' ' || c == '\n' || c == '\t';
        n += !space && !in_word ? 1 : 0;
        in_word = !space;
    }
    return n;
}

std::string chunk(const std::string& delta, const std::string& finish, const std::string& usage) {
    std::string s = R"({"choices":[{"finish_reason":)" + finish + R"(,"index":0,"delta":)" + delta +
                    R"(}],"created":1764633600,"id":"chatcmpl-fake","model":"fake",)" +
                    R"("object":"chat.completion.chunk")";
    if (!usage.empty()) {
        s += R"(,"usage":)" + usage;
    }
    return "data: " + s + "}\n\n";
}

bool send_all(int fd, const std::string& s) {
    std::size_t sent = 0;
    while (sent < s.size()) {
        const ssize_t n = ::send(fd, s.data() + sent, s.size() - sent, MSG_NOSIGNAL);
        if (n <= 0) {
            return false;
        }
        sent += static_cast<std::size_t>(n);
    }
    return true;
}

std::string nested(const std::string& open, const std::string& middle, const std::string& close,
                   int depth) {
    std::string s;
    s.reserve((open.size() + close.size()) * static_cast<std::size_t>(depth) + middle.size());
    for (int i = 0; i < depth; ++i) {
        s += open;
    }
    s += middle;
    for (int i = 0; i < depth; ++i) {
        s += close;
    }
    return s;
}

std::string whole(const std::string& status, const std::string& type, const std::string& body) {
    return "HTTP/1.1 " + status + "\r\nContent-Type: " + type +
           "\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
}

// One connection of --raw MODE: reads the request's head, then misbehaves.
void serve_raw(int fd, const std::string& mode) {
    std::string head;
    char c = 0;
    while (head.find("\r\n\r\n") == std::string::npos && ::recv(fd, &c, 1, 0) == 1) {
        head += c;
    }
    // And its body: closing a socket with unread bytes resets the connection, and the client
    // would see the reset instead of the answer.
    const auto length_at = head.find("Content-Length: ");
    long left = length_at == std::string::npos ? 0 : std::atol(head.c_str() + length_at + 16);
    while (left > 0 && ::recv(fd, &c, 1, 0) == 1) {
        --left;
    }
    constexpr int k_deep = 1000000;
    if (mode == "drip-headers") {
        send_all(fd, "HTTP/1.1 200 OK\r\n");
        while (send_all(fd, "X")) {
            std::this_thread::sleep_for(std::chrono::milliseconds(500));
        }
    } else if (mode == "endless-headers") {
        const std::string line = "X-Filler: " + std::string(1000, 'a') + "\r\n";
        if (send_all(fd, "HTTP/1.1 200 OK\r\n")) {
            while (send_all(fd, line)) {
            }
        }
    } else if (mode == "endless-body") {
        const std::string piece = std::string(65536, ' ');
        char size[32];
        std::snprintf(size, sizeof size, "%zx\r\n", piece.size());
        const std::string chunk_text = size + piece + "\r\n";
        if (send_all(fd, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                         "Transfer-Encoding: chunked\r\n\r\n")) {
            while (send_all(fd, chunk_text)) {
            }
        }
    } else if (mode == "deep-error") {
        send_all(fd, whole("500 Internal Server Error", "application/json",
                           nested("{\"error\":", "1", "}", k_deep)));
    } else if (mode == "deep-stream") {
        send_all(fd, whole("200 OK", "text/event-stream",
                           "data: " + nested("[", "", "]", k_deep) + "\n\ndata: [DONE]\n\n"));
    } else if (mode == "bad-utf8") {
        send_all(fd, whole("500 Internal Server Error", "application/json",
                           "{\"error\":{\"message\":\"bad \xff\xfe bytes\"}}"));
    }
    ::close(fd);
}

int run_raw(const Options& o) {
    const int listener = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    if (listener < 0 || ::bind(listener, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
        ::listen(listener, 16) != 0 ||
        ::getsockname(listener, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
        std::cerr << "fake_llama_server: cannot listen\n";
        return 1;
    }
    if (!o.pid_file.empty()) {
        std::ofstream(o.pid_file) << getpid() << "\n";
    }
    const std::string tmp = o.port_file + ".tmp";
    std::ofstream(tmp) << ntohs(a.sin_port) << "\n";
    std::rename(tmp.c_str(), o.port_file.c_str());
    std::thread([&] {
        std::this_thread::sleep_for(std::chrono::seconds(o.lifetime_s));
        std::_Exit(0);
    }).detach();
    for (;;) {
        const int fd = ::accept(listener, nullptr, nullptr);
        if (fd >= 0) {
            std::thread(serve_raw, fd, o.raw).detach();
        }
    }
}

} // namespace

int main(int argc, char** argv) {
    Options o;
    for (int i = 1; i + 1 < argc; i += 2) {
        const std::string k = argv[i];
        const std::string v = argv[i + 1];
        if (k == "--port-file") {
            o.port_file = v;
        } else if (k == "--raw") {
            o.raw = v;
        } else if (k == "--pid-file") {
            o.pid_file = v;
        } else {
            const int n = std::atoi(v.c_str());
            if (k == "--port")
                o.port = n;
            else if (k == "--latency-ms")
                o.latency_ms = n;
            else if (k == "--token-ms")
                o.token_ms = n;
            else if (k == "--tokens")
                o.tokens = n;
            else if (k == "--fail-every")
                o.fail_every = n;
            else if (k == "--hang-every")
                o.hang_every = n;
            else if (k == "--bad-every")
                o.bad_every = n;
            else if (k == "--die-after")
                o.die_after = n;
            else if (k == "--loading-ms")
                o.loading_ms = n;
            else if (k == "--lifetime-s")
                o.lifetime_s = n;
            else {
                std::cerr << "fake_llama_server: unknown option " << k << "\n";
                return 2;
            }
        }
    }
    if (!o.raw.empty()) {
        return run_raw(o);
    }
    const auto started = std::chrono::steady_clock::now();
    std::atomic<long> count{0};
    httplib::Server server;
    server.new_task_queue = [] { return new httplib::ThreadPool(64); };
    server.set_tcp_nodelay(true); // each streamed token leaves at once, as the timings assume

    server.Get("/health", [&](const httplib::Request&, httplib::Response& res) {
        if (std::chrono::steady_clock::now() - started < std::chrono::milliseconds(o.loading_ms)) {
            res.status = 503;
            res.set_content(
                R"({"error":{"code":503,"message":"Loading model","type":"unavailable_error"}})",
                "application/json");
            return;
        }
        res.set_content(R"({"status":"ok"})", "application/json");
    });

    server.Post("/v1/chat/completions", [&](const httplib::Request& req, httplib::Response& res) {
        const long n = ++count;
        const bool stream = req.body.find("\"stream\":true") != std::string::npos;
        const int prompt_tokens = words(req.body);
        std::this_thread::sleep_for(std::chrono::milliseconds(o.latency_ms));
        if (every(o.hang_every, n)) {
            std::this_thread::sleep_for(std::chrono::seconds(o.lifetime_s));
        }
        if (o.die_after > 0 && n == o.die_after && !stream) {
            std::_Exit(0); // before answering
        }
        if (every(o.fail_every, n)) {
            res.status = 500;
            res.set_content(
                R"({"error":{"code":500,"message":"simulated failure","type":"server_error"}})",
                "application/json");
            return;
        }
        if (every(o.bad_every, n)) {
            res.set_content("<html>not a completion</html>", "text/html");
            return;
        }
        const std::string usage = R"({"completion_tokens":)" + std::to_string(o.tokens) +
                                  R"(,"prompt_tokens":)" + std::to_string(prompt_tokens) +
                                  R"(,"total_tokens":)" + std::to_string(o.tokens + prompt_tokens) +
                                  "}";
        if (!stream) {
            std::this_thread::sleep_for(std::chrono::milliseconds(o.token_ms * o.tokens));
            std::string text;
            for (int t = 0; t < o.tokens; ++t) {
                text += "tok ";
            }
            res.set_content(
                R"({"choices":[{"finish_reason":"length","index":0,"message":{"role":"assistant","content":")" +
                    text + R"("}}],"created":1764633600,"id":"chatcmpl-fake","model":"fake",)" +
                    R"("object":"chat.completion","usage":)" + usage + "}",
                "application/json");
            return;
        }
        res.set_chunked_content_provider(
            "text/event-stream", [&o, n, usage](std::size_t, httplib::DataSink& sink) {
                std::string first = chunk(R"({"role":"assistant","content":null})", "null", "");
                sink.write(first.data(), first.size());
                for (int t = 0; t < o.tokens; ++t) {
                    if (o.die_after > 0 && n == o.die_after && t == o.tokens / 2) {
                        std::_Exit(0); // mid-answer
                    }
                    std::this_thread::sleep_for(std::chrono::milliseconds(o.token_ms));
                    const std::string c = chunk(R"({"content":"tok "})", "null", "");
                    if (!sink.write(c.data(), c.size())) {
                        return false;
                    }
                }
                const std::string last = chunk("{}", "\"length\"", usage) + "data: [DONE]\n\n";
                sink.write(last.data(), last.size());
                sink.done();
                return true;
            });
    });

    const int port = o.port > 0 ? (server.bind_to_port("127.0.0.1", o.port) ? o.port : -1)
                                : server.bind_to_any_port("127.0.0.1");
    if (port <= 0) {
        std::cerr << "fake_llama_server: cannot listen\n";
        return 1;
    }
    if (!o.pid_file.empty()) {
        std::ofstream(o.pid_file) << getpid() << "\n";
    }
    if (!o.port_file.empty()) {
        // Written whole under another name, then renamed: a reader never sees half a number.
        const std::string tmp = o.port_file + ".tmp";
        std::ofstream(tmp) << port << "\n";
        std::rename(tmp.c_str(), o.port_file.c_str());
    }
    std::thread([&] {
        std::this_thread::sleep_for(std::chrono::seconds(o.lifetime_s));
        std::_Exit(0);
    }).detach();
    server.listen_after_bind();
    return 0;
}
