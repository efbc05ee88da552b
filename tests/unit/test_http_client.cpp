#include "support/fake_server.hpp"

#include <vramplan/runtime/http_client.hpp>

#include <catch2/catch.hpp>

using namespace vramplan;
using namespace std::chrono_literals;
using vramplan::test::FakeServer;

namespace {

double seconds_since(std::chrono::steady_clock::time_point t0) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

HttpRequest post(std::chrono::milliseconds timeout) {
    HttpRequest req;
    req.method = "POST";
    req.path = "/v1/chat/completions";
    req.body = "{}";
    req.timeout = timeout;
    return req;
}

} // namespace

TEST_CASE("http client: the deadline holds while the headers drip in") {
    // One header byte every 500 ms: each wait for bytes is short, the whole is not.
    FakeServer server({"--raw", "drip-headers", "--lifetime-s", "15"});
    HttpClient client(parse_endpoint(server.url()));
    const auto t0 = std::chrono::steady_clock::now();
    const HttpResponse r = client.send(post(1000ms));
    const double took = seconds_since(t0);
    CHECK(r.failure == HttpFailure::timeout);
    CHECK(took >= 0.9);
    CHECK(took < 2.5);
}

TEST_CASE("http client: endless headers stop at the header cap") {
    FakeServer server({"--raw", "endless-headers", "--lifetime-s", "15"});
    HttpClient client(parse_endpoint(server.url()));
    const auto t0 = std::chrono::steady_clock::now();
    const HttpResponse r = client.send(post(8000ms));
    CHECK(r.failure == HttpFailure::too_large);
    CHECK_THAT(r.message, Catch::Contains("header"));
    CHECK(seconds_since(t0) < 4.0);
}

TEST_CASE("http client: a body past its cap stops, collected or streamed") {
    FakeServer server({"--raw", "endless-body", "--lifetime-s", "15"});
    HttpClient client(parse_endpoint(server.url()));
    HttpRequest req = post(8000ms);
    req.max_body_bytes = 1 << 20;
    const auto t0 = std::chrono::steady_clock::now();
    const HttpResponse whole = client.send(req);
    CHECK(whole.failure == HttpFailure::too_large);
    CHECK_THAT(whole.message, Catch::Contains("body"));
    CHECK(whole.body.size() <= req.max_body_bytes);

    std::size_t streamed = 0;
    req.on_chunk = [&](std::string_view chunk) {
        streamed += chunk.size();
        return true;
    };
    const HttpResponse chunked = client.send(req);
    CHECK(chunked.failure == HttpFailure::too_large);
    CHECK(streamed <= req.max_body_bytes);
    CHECK(seconds_since(t0) < 6.0);
}

TEST_CASE("http client: an answer within the caps is whole") {
    FakeServer server({"--tokens", "3"});
    HttpClient client(parse_endpoint(server.url()));
    HttpRequest req;
    req.path = "/health";
    req.timeout = 2000ms;
    const HttpResponse r = client.send(req);
    CHECK(r.failure == HttpFailure::none);
    CHECK(r.status == 200);
    CHECK(r.body == R"({"status":"ok"})");
    req.max_body_bytes = 4; // smaller than {"status":"ok"}
    CHECK(client.send(req).failure == HttpFailure::too_large);
}
