#pragma once
// `vramplan loadtest`: concurrent OpenAI-style chat completions against llama-server endpoints,
// for a count or a duration, with latency, time to first token, generated tokens per second
// (from the responses' `usage`) and failures sorted by kind; the GPU's memory sampled meanwhile.
// docs/verify.md.

#include <vramplan/runtime/endpoint.hpp>
#include <vramplan/runtime/gpu_reader.hpp>
#include <vramplan/runtime/vram_sampler.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace vramplan {

enum class Outcome {
    ok,
    refused,      // no connection
    timeout,      // no complete answer within --timeout
    disconnected, // the connection broke mid-answer (a server that died)
    http_4xx,     // the server refused the request (a bad model name, context too long)
    http_5xx,     // the server failed (out of memory, overloaded)
    bad_response, // an answer that is not an OpenAI chat completion
    other,
};
inline constexpr std::size_t k_outcome_count = 8;
std::string_view outcome_name(Outcome o);

struct RequestRecord {
    std::size_t endpoint = 0;
    Outcome outcome = Outcome::ok;
    int status = 0;
    double start_s = 0;                             // since the run began
    double latency_s = 0;                           // until the answer was complete (or failed)
    std::optional<double> ttft_s;                   // until the first generated text (streaming)
    std::optional<std::uint64_t> prompt_tokens;     // usage.prompt_tokens
    std::optional<std::uint64_t> completion_tokens; // usage.completion_tokens
    std::string detail;                             // for a failure: what happened
};

struct LoadtestOptions {
    std::vector<Endpoint> endpoints;
    std::uint32_t concurrency = 1;         // requests in flight at once, over all endpoints
    std::optional<std::uint64_t> requests; // stop after this many (or)
    std::optional<std::chrono::milliseconds> duration; // stop starting new ones after this
    std::vector<std::string> prompts;                  // used in turn
    std::uint32_t max_tokens = 64;
    bool stream = true;
    std::chrono::milliseconds timeout{120000}; // per request
    std::string model;                         // the request's "model" (llama-server ignores it)
    std::chrono::milliseconds sample_every{1000};
    // Called on the worker's thread as each request finishes (may be empty). An exception it
    // throws, like any thrown on a worker, stops the run and is rethrown by run_loadtest.
    std::function<void(const RequestRecord&)> on_record;
};

struct LoadtestResult {
    std::vector<RequestRecord> records; // in the order they finished
    double wall_s = 0;
    std::vector<VramPeak> vram; // empty when not sampled
    std::string vram_source;    // "nvidia-smi", "NVML"
    std::string vram_note;      // why it was not sampled, or a read that failed meanwhile
    std::uint64_t vram_samples = 0;
};

struct LoadtestProgress {
    std::uint64_t done = 0;
    std::uint64_t failed = 0;
    std::optional<std::uint64_t> target; // the request count, when given
    double elapsed_s = 0;
    std::optional<double> duration_s;
};

// Runs the test. `gpu` (may be null) is read every `sample_every` from a thread of its own;
// `progress` (may be empty) is called from the coordinating thread about twice a second.
LoadtestResult run_loadtest(const LoadtestOptions& options, GpuReader* gpu,
                            const std::function<void(const LoadtestProgress&)>& progress = {});

// One chat completion request body (OpenAI format, as llama-server's /v1/chat/completions takes
// it); streaming requests ask for usage in the last chunk.
std::string chat_request_body(std::string_view prompt, std::uint32_t max_tokens, bool stream,
                              std::string_view model);

// What a finished answer said: usage and whether it is a chat completion at all.
struct CompletionReading {
    bool valid = false;
    bool has_text = false; // a choice with content (or a streamed delta with content)
    std::optional<std::uint64_t> prompt_tokens;
    std::optional<std::uint64_t> completion_tokens;
    std::string error; // the server's error message, when it sent one
};
CompletionReading read_completion(std::string_view json_body);

// Server-sent events: feed the body as it arrives, get each complete `data:` payload.
class SseReader {
public:
    // Calls `on_data` for each event's data (lines joined with '\n'); returns its results' AND.
    bool feed(std::string_view chunk, const std::function<bool(std::string_view)>& on_data);

private:
    std::string m_pending;
    std::string m_data;
    bool m_has_data = false;
};

// Prompts from a file: one per line; blank lines and lines starting with '#' are skipped.
// Throws ErrorKind::data when there are none.
std::vector<std::string> parse_prompts(std::string_view text, const std::string& source);
// A small built-in set: short questions and code tasks of different lengths.
std::vector<std::string> builtin_prompts();
// The prompts of `file` (parse_prompts), or the built-in set when `file` is empty.
std::vector<std::string> load_prompts(const std::string& file);

// "30s", "5m", "1h", "1h30m", "90" (seconds); throws ErrorKind::usage.
std::chrono::milliseconds parse_duration(std::string_view text, const std::string& flag);

} // namespace vramplan
