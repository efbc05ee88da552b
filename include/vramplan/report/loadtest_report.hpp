#pragma once
// The figures of a load test, per endpoint and over all of them, and their rendering (text for a
// terminal, JSON for scripts).

#include <vramplan/runtime/loadtest.hpp>

#include <array>
#include <optional>
#include <string>
#include <vector>

namespace vramplan {

struct Percentiles {
    double p50 = 0;
    double p95 = 0;
    double p99 = 0;
};

// Nearest-rank percentiles of `values` (seconds); nullopt when there are none.
std::optional<Percentiles> percentiles(std::vector<double> values);

struct LoadtestStats {
    std::string label; // the endpoint as given, or "all"
    std::uint64_t requests = 0;
    std::uint64_t ok = 0;
    std::array<std::uint64_t, k_outcome_count> by_outcome{};
    std::array<std::string, k_outcome_count> first_detail{}; // an example message per kind
    double requests_per_s = 0;                               // finished requests over the run
    std::optional<Percentiles> latency_s;                    // successful requests
    std::optional<Percentiles> ttft_s;                       // successful streamed requests
    std::uint64_t prompt_tokens = 0;
    std::uint64_t completion_tokens = 0;
    std::uint64_t ok_without_usage = 0;        // successful answers that carried no usage
    double completion_tokens_per_s = 0;        // over the run's wall time
    std::optional<double> decode_tokens_per_s; // median per request, after the first token
};

// One entry per endpoint, then "all" (when there are several endpoints).
std::vector<LoadtestStats> loadtest_stats(const LoadtestResult& r, const LoadtestOptions& o);

std::string render_loadtest_text(const LoadtestResult& r, const LoadtestOptions& o);
std::string render_loadtest_json(const LoadtestResult& r, const LoadtestOptions& o);

// The live progress line ("  37/100 requests, 2 failed, 12.3 s").
std::string render_loadtest_progress(const LoadtestProgress& p);

} // namespace vramplan
