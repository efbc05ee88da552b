#include <vramplan/report/loadtest_report.hpp>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

using namespace vramplan;

namespace {

RequestRecord ok(std::size_t endpoint, double latency, std::optional<double> ttft,
                 std::uint64_t tokens) {
    RequestRecord r;
    r.endpoint = endpoint;
    r.status = 200;
    r.latency_s = latency;
    r.ttft_s = ttft;
    r.prompt_tokens = 10;
    r.completion_tokens = tokens;
    return r;
}

RequestRecord failed(std::size_t endpoint, Outcome o, std::string detail) {
    RequestRecord r;
    r.endpoint = endpoint;
    r.outcome = o;
    r.latency_s = 9;
    r.detail = std::move(detail);
    return r;
}

// Two endpoints, four answers and two failures, over 2 s; VRAM sampled.
std::pair<LoadtestResult, LoadtestOptions> sample_run() {
    LoadtestOptions o;
    o.endpoints = {parse_endpoint("http://127.0.0.1:8001"), parse_endpoint("localhost:8004")};
    o.concurrency = 2;
    o.requests = 6;
    LoadtestResult r;
    r.wall_s = 2.0;
    r.records = {ok(0, 0.100, 0.020, 9),
                 ok(0, 0.300, 0.040, 9),
                 ok(1, 0.200, 0.010, 5),
                 ok(1, 0.400, std::nullopt, 5),
                 failed(1, Outcome::http_5xx, "HTTP 500: oom"),
                 failed(0, Outcome::refused, "Connection refused")};
    r.vram = {{0, "NVIDIA GeForce RTX 4050 Laptop GPU", 5120ULL << 20, 6141ULL << 20}};
    r.vram_source = "nvidia-smi";
    r.vram_samples = 3;
    return {r, o};
}

} // namespace

TEST_CASE("percentiles: nearest rank") {
    CHECK_FALSE(percentiles({}).has_value());
    const auto one = percentiles({0.5});
    REQUIRE(one);
    CHECK(one->p50 == 0.5);
    CHECK(one->p99 == 0.5);
    std::vector<double> hundred;
    for (int i = 100; i >= 1; --i) {
        hundred.push_back(i);
    }
    const auto p = percentiles(hundred);
    CHECK(p->p50 == 50);
    CHECK(p->p95 == 95);
    CHECK(p->p99 == 99);
    const auto four = percentiles({4, 1, 3, 2});
    CHECK(four->p50 == 2); // ceil(0.5 * 4) = 2nd smallest
    CHECK(four->p95 == 4);
}

TEST_CASE("loadtest stats: per endpoint and over all, failures by kind") {
    const auto [r, o] = sample_run();
    const auto s = loadtest_stats(r, o);
    REQUIRE(s.size() == 3);
    CHECK(s[0].label == "http://127.0.0.1:8001");
    CHECK(s[0].requests == 3);
    CHECK(s[0].ok == 2);
    CHECK(s[0].by_outcome[static_cast<std::size_t>(Outcome::refused)] == 1);
    CHECK(s[0].completion_tokens == 18);
    CHECK(s[0].requests_per_s == Approx(1.5));
    CHECK(s[1].ok_without_usage == 0);
    CHECK(s[1].ttft_s->p50 == Approx(0.010)); // only streamed answers count
    const auto& all = s[2];
    CHECK(all.label == "all");
    CHECK(all.requests == 6);
    CHECK(all.ok == 4);
    CHECK(all.latency_s->p50 == Approx(0.200));
    CHECK(all.latency_s->p99 == Approx(0.400));
    CHECK(all.completion_tokens_per_s == Approx(14.0)); // 28 tokens over 2 s
    // Decode speed per request: (tokens - 1) / (latency - ttft); medians of 100, 32, 21.05.
    REQUIRE(all.decode_tokens_per_s);
    CHECK(*all.decode_tokens_per_s == Approx(8.0 / 0.26));
}

TEST_CASE("loadtest report: text") {
    const auto [r, o] = sample_run();
    CHECK(render_loadtest_text(r, o) ==
          "loadtest: 6 requests to 2 endpoints, 2 at a time, streaming, max_tokens 64; ran 2.00 s\n"
          "\n"
          "  endpoint               requests  ok  failed  req/s  p50 ms  p95 ms  p99 ms  TTFT p50  "
          "TTFT p95  gen tok/s\n"
          "  http://127.0.0.1:8001         3   2       1   1.50     100     300     300        20  "
          "      40        9.0\n"
          "  localhost:8004                3   2       1   1.50     200     400     400        10  "
          "      10        5.0\n"
          "  all                           6   4       2   3.00     200     400     400        20  "
          "      40       14.0\n"
          "\n"
          "failures:\n"
          "  refused           1  Connection refused\n"
          "  http_5xx          1  HTTP 500: oom\n"
          "tokens: 28 generated, 40 in prompts (from the answers' usage)\n"
          "generation per request after the first token: 30.8 tok/s (median)\n"
          "peak VRAM (nvidia-smi, 3 readings):\n"
          "  GPU 0 NVIDIA GeForce RTX 4050 Laptop GPU: 5120.00 MiB of 6141.00 MiB\n");
}

TEST_CASE("loadtest report: JSON") {
    const auto [r, o] = sample_run();
    const auto j = nlohmann::json::parse(render_loadtest_json(r, o));
    CHECK(j["concurrency"] == 2);
    CHECK(j["requests_limit"] == 6);
    CHECK(j["duration_limit_s"].is_null());
    REQUIRE(j["endpoints"].size() == 3);
    const auto& all = j["endpoints"][2];
    CHECK(all["failed"] == 2);
    CHECK(all["errors"]["http_5xx"]["count"] == 1);
    CHECK(all["errors"]["http_5xx"]["example"] == "HTTP 500: oom");
    CHECK(all["latency_s"]["p95"].get<double>() == Approx(0.4));
    CHECK(j["vram"]["gpus"][0]["peak_used_bytes"] == 5120ULL << 20);
    CHECK(j["vram"]["source"] == "nvidia-smi");
}

TEST_CASE("loadtest report: nothing answered, VRAM not sampled") {
    LoadtestOptions o;
    o.endpoints = {parse_endpoint("http://127.0.0.1:9")};
    o.duration = std::chrono::seconds(30);
    LoadtestResult r;
    r.wall_s = 30;
    r.records = {failed(0, Outcome::timeout, "no answer within 120 s")};
    r.vram_note = "--no-vram";
    const std::string text = render_loadtest_text(r, o);
    CHECK_THAT(text, Catch::StartsWith("loadtest: 30 s to 1 endpoint, 1 at a time, streaming"));
    CHECK_THAT(text, Catch::Contains("timeout           1  no answer within 120 s"));
    CHECK_THAT(text, Catch::Contains("peak VRAM: not sampled (--no-vram)"));
    CHECK_THAT(text, Catch::Contains("      -       -"));
    CHECK(render_loadtest_progress({3, 1, std::nullopt, 12.34, 30.0}) ==
          "3 requests, 1 failed, 12.3 s of 30 s");
    CHECK(render_loadtest_progress({3, 0, 10, 1.0, std::nullopt}) ==
          "3/10 requests, 0 failed, 1.0 s");
}

TEST_CASE("loadtest report: bytes that are not UTF-8 are replaced in JSON, not thrown") {
    auto [r, o] = sample_run();
    r.records.push_back(failed(0, Outcome::other, "bad \xff\xfe bytes"));
    o.endpoints[1].text = "localhost:8004/\xc3";
    r.vram[0].name = "GPU \x80";
    std::string out;
    REQUIRE_NOTHROW(out = render_loadtest_json(r, o));
    const auto j = nlohmann::json::parse(out);
    CHECK(j["endpoints"][1]["endpoint"] == "localhost:8004/\xef\xbf\xbd");
    CHECK(j["endpoints"][0]["errors"]["other"]["example"] == "bad \xef\xbf\xbd\xef\xbf\xbd bytes");
    CHECK(j["vram"]["gpus"][0]["name"] == "GPU \xef\xbf\xbd");
}
