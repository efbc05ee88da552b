#include "support/fake_server.hpp"
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <vramplan/base/error.hpp>
#include <vramplan/runtime/http_client.hpp>
#include <vramplan/runtime/loadtest.hpp>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <atomic>
#include <stdexcept>

using namespace vramplan;
using namespace std::chrono_literals;
using vramplan::test::FakeServer;

namespace {

LoadtestOptions options_for(const std::string& url, std::uint64_t requests) {
    LoadtestOptions o;
    o.endpoints = {parse_endpoint(url)};
    o.requests = requests;
    o.concurrency = 2;
    o.prompts = builtin_prompts();
    o.max_tokens = 8;
    o.timeout = 5000ms;
    return o;
}

std::size_t count(const LoadtestResult& r, Outcome o) {
    return static_cast<std::size_t>(std::count_if(r.records.begin(), r.records.end(),
                                                  [&](const auto& x) { return x.outcome == o; }));
}

// A loopback port nothing listens on: bound (so no one else gets it) but never listened to.
class ClosedPort {
public:
    ClosedPort() {
        m_fd = socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        REQUIRE(bind(m_fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
        socklen_t len = sizeof a;
        getsockname(m_fd, reinterpret_cast<sockaddr*>(&a), &len);
        m_port = ntohs(a.sin_port);
    }
    ~ClosedPort() { close(m_fd); }
    ClosedPort(const ClosedPort&) = delete;
    ClosedPort& operator=(const ClosedPort&) = delete;
    std::string url() const { return "http://127.0.0.1:" + std::to_string(m_port); }

private:
    int m_fd = -1;
    std::uint16_t m_port = 0;
};

// A GPU reader that counts up, for the sampler.
class RisingGpu final : public GpuReader {
public:
    GpuSnapshot read() override {
        GpuSnapshot s;
        s.source = "test";
        const std::uint64_t mib = ++m_reads < 3 ? 1000 + 100 * m_reads : 1100U;
        s.gpus.push_back({0, "Test GPU", mib << 20, 6141ULL << 20});
        return s;
    }
    std::string source() const override { return "test"; }
    std::uint64_t reads() const { return m_reads; }

private:
    std::uint64_t m_reads = 0;
};

} // namespace

TEST_CASE("loadtest: every request answered, streamed, with usage and time to first token") {
    FakeServer server({"--tokens", "8", "--token-ms", "1"});
    const LoadtestOptions o = options_for(server.url(), 12);
    const LoadtestResult r = run_loadtest(o, nullptr);
    REQUIRE(r.records.size() == 12);
    CHECK(count(r, Outcome::ok) == 12);
    for (const auto& rec : r.records) {
        CHECK(rec.status == 200);
        CHECK(rec.completion_tokens == 8u);
        REQUIRE(rec.prompt_tokens.has_value());
        CHECK(*rec.prompt_tokens > 0u);
        REQUIRE(rec.ttft_s.has_value());
        CHECK(*rec.ttft_s <= rec.latency_s);
    }
    CHECK(r.wall_s > 0);
    CHECK(r.vram.empty());
}

TEST_CASE("loadtest: non-streaming answers carry usage and no time to first token") {
    FakeServer server({"--tokens", "5"});
    LoadtestOptions o = options_for(server.url(), 4);
    o.stream = false;
    const LoadtestResult r = run_loadtest(o, nullptr);
    REQUIRE(r.records.size() == 4);
    for (const auto& rec : r.records) {
        CHECK(rec.outcome == Outcome::ok);
        CHECK(rec.completion_tokens == 5u);
        CHECK_FALSE(rec.ttft_s.has_value());
    }
}

TEST_CASE("loadtest: 5xx answers and bodies that are not completions are counted apart") {
    FakeServer server({"--fail-every", "3", "--bad-every", "4"});
    LoadtestOptions o = options_for(server.url(), 12);
    o.concurrency = 1; // the server numbers requests as they arrive
    const LoadtestResult r = run_loadtest(o, nullptr);
    REQUIRE(r.records.size() == 12);
    CHECK(count(r, Outcome::http_5xx) == 4);     // 3, 6, 9, 12
    CHECK(count(r, Outcome::bad_response) == 2); // 4, 8
    CHECK(count(r, Outcome::ok) == 6);
    for (const auto& rec : r.records) {
        if (rec.outcome == Outcome::http_5xx) {
            CHECK(rec.status == 500);
            CHECK(rec.detail == "HTTP 500: simulated failure");
        }
    }
}

TEST_CASE("loadtest: a request that never answers times out; the others go on") {
    FakeServer server({"--hang-every", "2"});
    LoadtestOptions o = options_for(server.url(), 4);
    o.concurrency = 1;
    o.timeout = 300ms;
    const LoadtestResult r = run_loadtest(o, nullptr);
    REQUIRE(r.records.size() == 4);
    CHECK(count(r, Outcome::timeout) == 2);
    CHECK(count(r, Outcome::ok) == 2);
    for (const auto& rec : r.records) {
        if (rec.outcome == Outcome::timeout) {
            CHECK(rec.latency_s < 3.0);
        }
    }
}

TEST_CASE("loadtest: nothing listening is 'refused', for every request") {
    const ClosedPort port;
    const LoadtestResult r = run_loadtest(options_for(port.url(), 3), nullptr);
    REQUIRE(r.records.size() == 3);
    CHECK(count(r, Outcome::refused) == 3);
    CHECK_FALSE(r.records[0].detail.empty());
}

TEST_CASE("loadtest: a server that dies mid-answer: disconnected, then refused") {
    FakeServer server({"--die-after", "2", "--tokens", "20", "--token-ms", "5"});
    LoadtestOptions o = options_for(server.url(), 5);
    o.concurrency = 1;
    const LoadtestResult r = run_loadtest(o, nullptr);
    REQUIRE(r.records.size() == 5);
    CHECK(r.records[0].outcome == Outcome::ok);
    CHECK(r.records[1].outcome == Outcome::disconnected);
    // While the process exits its listening socket may still take a connection and drop it.
    for (std::size_t i = 2; i < 4; ++i) {
        CHECK((r.records[i].outcome == Outcome::refused ||
               r.records[i].outcome == Outcome::disconnected));
    }
    CHECK(r.records[4].outcome == Outcome::refused);
    CHECK(server.wait_exit());
}

TEST_CASE("loadtest: for a duration, over two endpoints in turn, VRAM sampled") {
    FakeServer a({"--token-ms", "1"});
    FakeServer b({"--token-ms", "1"});
    LoadtestOptions o = options_for(a.url(), 0);
    o.endpoints.push_back(parse_endpoint(b.url()));
    o.requests.reset();
    o.duration = 700ms; // longer than the progress interval (500 ms): one call at least
    o.sample_every = 50ms;
    RisingGpu gpu;
    int progress_calls = 0;
    const LoadtestResult r = run_loadtest(o, &gpu, [&](const LoadtestProgress& p) {
        ++progress_calls;
        CHECK(p.duration_s.has_value());
    });
    REQUIRE(r.records.size() >= 2);
    CHECK(count(r, Outcome::ok) == r.records.size());
    CHECK(std::any_of(r.records.begin(), r.records.end(), [](auto& x) { return x.endpoint == 1; }));
    CHECK(r.wall_s >= 0.7);
    CHECK(r.vram_source == "test");
    REQUIRE(r.vram.size() == 1);
    CHECK(r.vram[0].peak_used_bytes == 1200ULL << 20); // the highest reading, not the last
    CHECK(r.vram[0].total_bytes == 6141ULL << 20);
    CHECK(r.vram_samples == gpu.reads());
    CHECK(progress_calls >= 1);
}

TEST_CASE("http client: /health while loading, then ready; a base path is kept") {
    FakeServer server({"--loading-ms", "300"});
    HttpClient client(parse_endpoint(server.url()));
    HttpRequest req;
    req.path = "/health";
    req.timeout = 2000ms;
    const HttpResponse loading = client.send(req);
    CHECK(loading.failure == HttpFailure::none);
    CHECK(loading.status == 503);
    CHECK_THAT(loading.body, Catch::Contains("Loading model"));
    std::this_thread::sleep_for(350ms);
    const HttpResponse ready = client.send(req);
    CHECK(ready.status == 200);

    HttpClient prefixed(parse_endpoint(server.url() + "/prefix"));
    CHECK(prefixed.send(req).status == 404);
}

TEST_CASE("chat request body: OpenAI format, usage asked for when streaming") {
    const auto j = nlohmann::json::parse(chat_request_body("Hi \"there\"", 16, true, "m"));
    CHECK(j["model"] == "m");
    CHECK(j["messages"][0]["role"] == "user");
    CHECK(j["messages"][0]["content"] == "Hi \"there\"");
    CHECK(j["max_tokens"] == 16);
    CHECK(j["stream"] == true);
    CHECK(j["stream_options"]["include_usage"] == true);
    const auto plain = nlohmann::json::parse(chat_request_body("x", 1, false, ""));
    CHECK_FALSE(plain.contains("stream_options"));
    // Invalid UTF-8 in a prompt file is replaced, not thrown.
    CHECK_NOTHROW(chat_request_body("bad \xff byte", 1, false, ""));
}

TEST_CASE("read_completion: choices, text, usage and the server's error") {
    const auto ok = read_completion(
        R"({"choices":[{"message":{"content":"hi"}}],"usage":{"prompt_tokens":3,"completion_tokens":2}})");
    CHECK(ok.valid);
    CHECK(ok.has_text);
    CHECK(ok.prompt_tokens == 3u);
    CHECK(ok.completion_tokens == 2u);
    const auto err = read_completion(R"({"error":{"code":400,"message":"context too long"}})");
    CHECK_FALSE(err.valid);
    CHECK(err.error == "context too long");
    CHECK_FALSE(read_completion("<html>").valid);
    CHECK_FALSE(read_completion(R"({"choices":[],"usage":{"prompt_tokens":-1}})").prompt_tokens);
}

TEST_CASE("server-sent events: data split anywhere, CRLF, comments, multi-line data") {
    const std::string stream =
        ": comment\r\ndata: {\"a\":1}\r\n\r\nevent: x\ndata: one\ndata: two\n\n"
        "data: [DONE]\n\n";
    for (std::size_t split = 0; split <= stream.size(); ++split) {
        SseReader r;
        std::vector<std::string> got;
        const auto on = [&](std::string_view d) {
            got.emplace_back(d);
            return true;
        };
        r.feed(stream.substr(0, split), on);
        r.feed(stream.substr(split), on);
        INFO("split at " << split);
        REQUIRE(got.size() == 3);
        CHECK(got[0] == "{\"a\":1}");
        CHECK(got[1] == "one\ntwo");
        CHECK(got[2] == "[DONE]");
    }
    SseReader r;
    CHECK_FALSE(r.feed("data: x\n\n", [](std::string_view) { return false; }));
}

TEST_CASE("prompts: one per line, comments and blanks skipped; none is an error") {
    const auto p = parse_prompts("# header\n\n  first  \r\nsecond\n", "p.txt");
    REQUIRE(p.size() == 2);
    CHECK(p[0] == "first");
    CHECK(p[1] == "second");
    CHECK_THROWS_WITH(parse_prompts("# only\n\n", "p.txt"), Catch::Contains("p.txt"));
    CHECK(builtin_prompts().size() >= 4);
    CHECK(load_prompts("") == builtin_prompts());
    CHECK_THROWS_AS(load_prompts("/nonexistent/prompts.txt"), Error);
}

TEST_CASE("durations: seconds, or numbers with s, m, h") {
    CHECK(parse_duration("90", "--duration") == 90s);
    CHECK(parse_duration("30s", "--duration") == 30s);
    CHECK(parse_duration("5m", "--duration") == 300s);
    CHECK(parse_duration("1h30m", "--duration") == 5400s);
    CHECK(parse_duration("2h", "--duration") == 7200s);
    for (const char* bad : {"", "0", "0s", "5x", "m", "5m3", "-1", "1.5m", "9999999h"}) {
        INFO(bad);
        CHECK_THROWS_AS(parse_duration(bad, "--duration"), Error);
    }
}

TEST_CASE("loadtest: an error a million levels deep is a failure, not a crash") {
    FakeServer server({"--raw", "deep-error", "--lifetime-s", "20"});
    for (const bool stream : {false, true}) {
        LoadtestOptions o = options_for(server.url(), 2);
        o.stream = stream;
        const LoadtestResult r = run_loadtest(o, nullptr);
        REQUIRE(r.records.size() == 2);
        CHECK(count(r, Outcome::http_5xx) == 2);
        CHECK_THAT(r.records[0].detail, Catch::Contains("nested deeper than 64"));
    }
}

TEST_CASE("loadtest: streamed data a million levels deep is a bad response") {
    FakeServer server({"--raw", "deep-stream", "--lifetime-s", "20"});
    const LoadtestResult r = run_loadtest(options_for(server.url(), 2), nullptr);
    REQUIRE(r.records.size() == 2);
    CHECK(count(r, Outcome::bad_response) == 2);
    CHECK_THAT(r.records[0].detail, Catch::Contains("nested deeper than 64"));
}

TEST_CASE("loadtest: oversized and endless answers are bad responses within the deadline") {
    FakeServer server({"--raw", "endless-headers", "--lifetime-s", "20"});
    LoadtestOptions o = options_for(server.url(), 2);
    o.timeout = 8000ms;
    const LoadtestResult r = run_loadtest(o, nullptr);
    REQUIRE(r.records.size() == 2);
    CHECK(count(r, Outcome::bad_response) == 2);
    CHECK(r.wall_s < 4.0);
}

namespace {

// A GPU reader whose second reading (the first on the sampler's thread) throws `E`.
template <typename E> class ThrowingGpu final : public GpuReader {
public:
    GpuSnapshot read() override {
        if (++m_reads >= 2) {
            throw E();
        }
        GpuSnapshot s;
        s.gpus.push_back({0, "Test GPU", 1ULL << 30, 6141ULL << 30});
        return s;
    }
    std::string source() const override { return "throwing"; }

private:
    std::atomic<int> m_reads{0};
};

} // namespace

TEST_CASE("loadtest: an exception on the sampler's thread reaches the caller") {
    FakeServer server({"--token-ms", "1"});
    LoadtestOptions o = options_for(server.url(), 0);
    o.requests.reset();
    o.duration = 300ms;
    o.sample_every = 10ms;
    ThrowingGpu<std::bad_alloc> gpu;
    CHECK_THROWS_AS(run_loadtest(o, &gpu), std::bad_alloc);
}

TEST_CASE("loadtest: an exception on a worker's thread stops the run and reaches the caller") {
    FakeServer server({"--token-ms", "1"});
    LoadtestOptions o = options_for(server.url(), 1000);
    o.concurrency = 4;
    std::atomic<int> records{0};
    o.on_record = [&](const RequestRecord&) {
        if (++records == 3) {
            throw std::runtime_error("worker failed");
        }
    };
    CHECK_THROWS_WITH(run_loadtest(o, nullptr), "worker failed");
    CHECK(records < 100); // the others stopped instead of finishing the 1000
}
