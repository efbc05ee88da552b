#include <vramplan/base/error.hpp>
#include <vramplan/base/json_depth.hpp>
#include <vramplan/base/json_output.hpp>
#include <vramplan/base/strings.hpp>
#include <vramplan/base/text_file.hpp>
#include <vramplan/runtime/http_client.hpp>
#include <vramplan/runtime/loadtest.hpp>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <atomic>
#include <exception>
#include <mutex>
#include <thread>

namespace vramplan {

namespace {

using clock = std::chrono::steady_clock;

double seconds_since(clock::time_point t0) {
    return std::chrono::duration<double>(clock::now() - t0).count();
}

std::optional<std::uint64_t> usage_field(const nlohmann::json& j, const char* key) {
    const auto u = j.find("usage");
    if (u == j.end() || !u->is_object()) {
        return std::nullopt;
    }
    const auto v = u->find(key);
    if (v == u->end() || !v->is_number_unsigned()) {
        return std::nullopt;
    }
    return v->get<std::uint64_t>();
}

// What a server sent, parsed; a document nested deeper than k_json_max_depth is not parsed
// (reading or printing it would recurse that deep) and comes back discarded, `too_deep` set.
nlohmann::json parse_reply(std::string_view text, bool& too_deep) {
    if (!json_depth_within(text)) {
        too_deep = true;
        return nlohmann::json(nlohmann::json::value_t::discarded);
    }
    return nlohmann::json::parse(text, nullptr, false);
}

const std::string k_too_deep =
    fmt::format("a JSON answer nested deeper than {} levels", k_json_max_depth);

// A chat completion (or one streamed chunk of one): its choices, text and usage.
void read_into(const nlohmann::json& j, CompletionReading& r) {
    if (!j.is_object()) {
        return;
    }
    if (const auto e = j.find("error"); e != j.end()) {
        r.error = e->is_object() && e->contains("message") && (*e)["message"].is_string()
                      ? (*e)["message"].get<std::string>()
                      : json_compact(*e);
        return;
    }
    const auto choices = j.find("choices");
    if (choices == j.end() || !choices->is_array()) {
        return;
    }
    r.valid = true;
    for (const auto& c : *choices) {
        for (const char* part : {"message", "delta"}) {
            if (c.is_object() && c.contains(part) && c[part].is_object()) {
                const auto& content = c[part].value("content", nlohmann::json());
                r.has_text = r.has_text || (content.is_string() && !content.empty());
            }
        }
    }
    if (const auto p = usage_field(j, "prompt_tokens")) {
        r.prompt_tokens = p;
    }
    if (const auto n = usage_field(j, "completion_tokens")) {
        r.completion_tokens = n;
    }
}

Outcome outcome_of(HttpFailure f) {
    switch (f) {
    case HttpFailure::none: return Outcome::ok;
    case HttpFailure::refused: return Outcome::refused;
    case HttpFailure::timeout: return Outcome::timeout;
    case HttpFailure::disconnected: return Outcome::disconnected;
    case HttpFailure::too_large: return Outcome::bad_response;
    case HttpFailure::other: return Outcome::other;
    }
    return Outcome::other;
}

// How much of a streamed answer is kept to read an error from (llama-server's are short).
constexpr std::size_t k_error_body_max = 64 * 1024;

// One request, start to end, on `client`.
RequestRecord run_one(HttpClient& client, const LoadtestOptions& o, std::size_t endpoint,
                      const std::string& prompt, clock::time_point t0) {
    RequestRecord rec;
    rec.endpoint = endpoint;
    const auto start = clock::now();
    rec.start_s = std::chrono::duration<double>(start - t0).count();

    HttpRequest req;
    req.method = "POST";
    req.path = "/v1/chat/completions";
    req.body = chat_request_body(prompt, o.max_tokens, o.stream, o.model);
    req.timeout = o.timeout;
    CompletionReading reading;
    SseReader sse;
    bool done = false;
    bool malformed = false;
    bool too_deep = false;
    std::string head; // the start of a streamed body: an error answer is plain JSON, not events
    if (o.stream) {
        req.on_chunk = [&](std::string_view chunk) {
            head.append(
                chunk.substr(0, k_error_body_max - std::min(head.size(), k_error_body_max)));
            return sse.feed(chunk, [&](std::string_view data) {
                if (trim(data) == "[DONE]") {
                    done = true;
                    return true;
                }
                const auto j = parse_reply(data, too_deep);
                if (j.is_discarded()) {
                    malformed = true;
                    return true;
                }
                const bool had_text = reading.has_text;
                read_into(j, reading);
                if (!had_text && reading.has_text) {
                    rec.ttft_s = seconds_since(start);
                }
                return true;
            });
        };
    }
    const HttpResponse res = client.send(req);
    rec.latency_s = seconds_since(start);
    rec.status = res.status;
    if (res.failure != HttpFailure::none) {
        rec.outcome = outcome_of(res.failure);
        rec.detail = res.message;
        return rec;
    }
    if (o.stream && res.status >= 300) {
        read_into(parse_reply(head, too_deep), reading);
    } else if (!o.stream) {
        const auto j = parse_reply(res.body, too_deep);
        malformed = j.is_discarded();
        if (!malformed) {
            read_into(j, reading);
        }
    }
    rec.prompt_tokens = reading.prompt_tokens;
    rec.completion_tokens = reading.completion_tokens;
    if (res.status >= 400) {
        rec.outcome = res.status >= 500 ? Outcome::http_5xx : Outcome::http_4xx;
        const std::string& why = too_deep ? k_too_deep : reading.error;
        rec.detail = why.empty() ? fmt::format("HTTP {}", res.status)
                                 : fmt::format("HTTP {}: {}", res.status, why);
    } else if (res.status < 200 || res.status >= 300) {
        rec.outcome = Outcome::other;
        rec.detail = fmt::format("HTTP {}", res.status);
    } else if (malformed || !reading.valid || (o.stream && !done)) {
        rec.outcome = Outcome::bad_response;
        rec.detail = !reading.error.empty() ? reading.error
                     : too_deep             ? k_too_deep
                     : malformed            ? std::string("a body that is not JSON")
                     : !reading.valid       ? std::string("no 'choices' in the answer")
                                            : std::string("the stream ended without [DONE]");
    }
    return rec;
}

} // namespace

std::string_view outcome_name(Outcome o) {
    switch (o) {
    case Outcome::ok: return "ok";
    case Outcome::refused: return "refused";
    case Outcome::timeout: return "timeout";
    case Outcome::disconnected: return "disconnected";
    case Outcome::http_4xx: return "http_4xx";
    case Outcome::http_5xx: return "http_5xx";
    case Outcome::bad_response: return "bad_response";
    case Outcome::other: return "other";
    }
    return "other";
}

std::string chat_request_body(std::string_view prompt, std::uint32_t max_tokens, bool stream,
                              std::string_view model) {
    nlohmann::json j;
    j["model"] = model;
    j["messages"] = nlohmann::json::array({{{"role", "user"}, {"content", prompt}}});
    j["max_tokens"] = max_tokens;
    j["stream"] = stream;
    if (stream) {
        j["stream_options"] = {{"include_usage", true}};
    }
    return json_compact(j);
}

CompletionReading read_completion(std::string_view json_body) {
    CompletionReading r;
    bool too_deep = false;
    const auto j = parse_reply(json_body, too_deep);
    if (!j.is_discarded()) {
        read_into(j, r);
    }
    return r;
}

bool SseReader::feed(std::string_view chunk, const std::function<bool(std::string_view)>& on_data) {
    m_pending.append(chunk);
    bool ok = true;
    std::size_t start = 0;
    for (std::size_t nl; (nl = m_pending.find('\n', start)) != std::string::npos; start = nl + 1) {
        std::string_view line(m_pending.data() + start, nl - start);
        if (line.ends_with('\r')) {
            line.remove_suffix(1);
        }
        if (line.empty()) { // the end of an event
            if (m_has_data) {
                ok = on_data(m_data) && ok;
            }
            m_data.clear();
            m_has_data = false;
        } else if (line.starts_with("data:")) {
            std::string_view value = line.substr(5);
            if (value.starts_with(' ')) {
                value.remove_prefix(1);
            }
            if (m_has_data) {
                m_data.push_back('\n');
            }
            m_data.append(value);
            m_has_data = true;
        } // other fields (event:, id:, retry:) and comments (':') do not matter here
    }
    m_pending.erase(0, start);
    return ok;
}

std::vector<std::string> parse_prompts(std::string_view text, const std::string& source) {
    std::vector<std::string> out;
    for (const std::string_view raw : lines_of(text)) {
        const std::string_view line = trim(raw);
        if (!line.empty() && !line.starts_with('#')) {
            out.emplace_back(line);
        }
    }
    if (out.empty()) {
        throw Error(ErrorKind::data, source, "no prompts (one per line; '#' starts a comment)");
    }
    return out;
}

std::vector<std::string> builtin_prompts() {
    return {
        "What is the capital of France? Answer in one sentence.",
        "Write a Python function that returns the n-th Fibonacci number iteratively.",
        "Explain in three sentences what a KV cache is in a transformer language model.",
        "Complete this C function:\nint count_bits(unsigned x) {",
        "List five practical tips for writing clear commit messages.",
        "Translate to German: The server is running out of GPU memory.",
        "Write a SQL query that returns the ten most recent orders with their customer names.",
        "Summarize the difference between TCP and UDP for a beginner.",
    };
}

std::vector<std::string> load_prompts(const std::string& file) {
    return file.empty() ? builtin_prompts() : parse_prompts(read_text_file(file), file);
}

std::chrono::milliseconds parse_duration(std::string_view text, const std::string& flag) {
    const auto bad = [&] {
        return Error(ErrorKind::usage, flag, fmt::format("{} is not a duration", quote_value(text)),
                     "write seconds, or a number with s, m or h: 90, 30s, 5m, 1h30m");
    };
    if (const auto plain = parse_unsigned(text)) {
        if (*plain == 0 || *plain > 366ULL * 24 * 3600) {
            throw bad();
        }
        return std::chrono::seconds(*plain);
    }
    std::uint64_t total_s = 0;
    std::string_view rest = text;
    if (rest.empty()) {
        throw bad();
    }
    while (!rest.empty()) {
        std::size_t digits = 0;
        while (digits < rest.size() && rest[digits] >= '0' && rest[digits] <= '9') {
            ++digits;
        }
        const auto n = parse_unsigned(rest.substr(0, digits));
        if (!n || digits == rest.size() || *n > 1000000) {
            throw bad();
        }
        const char unit = rest[digits];
        const std::uint64_t scale = unit == 's' ? 1 : unit == 'm' ? 60 : unit == 'h' ? 3600 : 0;
        if (scale == 0) {
            throw bad();
        }
        total_s += *n * scale;
        rest.remove_prefix(digits + 1);
    }
    if (total_s == 0 || total_s > 366ULL * 24 * 3600) {
        throw bad();
    }
    return std::chrono::seconds(total_s);
}

LoadtestResult run_loadtest(const LoadtestOptions& o, GpuReader* gpu,
                            const std::function<void(const LoadtestProgress&)>& progress) {
    if (o.endpoints.empty() || o.prompts.empty() || o.concurrency == 0) {
        throw Error(ErrorKind::internal, {}, "run_loadtest needs endpoints, prompts and workers");
    }
    LoadtestResult result;
    const auto t0 = clock::now();
    const auto stop_at = o.duration ? std::optional(t0 + *o.duration) : std::nullopt;
    const std::uint64_t limit = o.requests.value_or(UINT64_MAX);

    std::atomic<std::uint64_t> next{0};
    std::mutex records_mutex;
    std::condition_variable finished;
    std::uint32_t workers_left = o.concurrency;
    std::uint64_t failed = 0;
    std::optional<VramSampler> sampler;
    if (gpu != nullptr) {
        result.vram_source = gpu->source();
        sampler.emplace(*gpu, o.sample_every);
    }

    // The first exception thrown on a worker (std::bad_alloc included) stops the others and is
    // rethrown here once all have been joined: never std::terminate, never a detached thread.
    std::exception_ptr failure;
    std::atomic<bool> abort{false};
    const auto fail = [&](std::exception_ptr e) {
        const std::lock_guard lock(records_mutex);
        if (!failure) {
            failure = std::move(e);
        }
        abort = true;
    };
    std::vector<std::thread> workers;
    workers.reserve(o.concurrency);
    // Joins whatever was started, also when starting a thread or the progress callback throws.
    struct Joiner {
        std::vector<std::thread>& threads;
        std::atomic<bool>& abort;
        ~Joiner() {
            abort = true;
            for (auto& t : threads) {
                if (t.joinable()) {
                    t.join();
                }
            }
        }
    } joiner{workers, abort};
    for (std::uint32_t w = 0; w < o.concurrency; ++w) {
        workers.emplace_back([&] {
            try {
                // One client per endpoint per worker: a connection each, reused (keep-alive).
                std::vector<std::unique_ptr<HttpClient>> clients(o.endpoints.size());
                while (!abort) {
                    const std::uint64_t i = next.fetch_add(1);
                    if (i >= limit || (stop_at && clock::now() >= *stop_at)) {
                        break;
                    }
                    const std::size_t e = i % o.endpoints.size();
                    if (!clients[e]) {
                        clients[e] = std::make_unique<HttpClient>(o.endpoints[e]);
                    }
                    RequestRecord rec =
                        run_one(*clients[e], o, e, o.prompts[i % o.prompts.size()], t0);
                    if (o.on_record) {
                        o.on_record(rec);
                    }
                    const std::lock_guard lock(records_mutex);
                    failed += rec.outcome == Outcome::ok ? 0U : 1U;
                    result.records.push_back(std::move(rec));
                }
            } catch (...) {
                fail(std::current_exception());
            }
            const std::lock_guard lock(records_mutex);
            --workers_left;
            finished.notify_all();
        });
    }
    {
        std::unique_lock lock(records_mutex);
        while (!finished.wait_for(lock, std::chrono::milliseconds(500),
                                  [&] { return workers_left == 0; })) {
            if (progress && !abort) {
                LoadtestProgress p{result.records.size(), failed, o.requests, seconds_since(t0),
                                   std::nullopt};
                if (o.duration) {
                    p.duration_s = std::chrono::duration<double>(*o.duration).count();
                }
                lock.unlock();
                progress(p);
                lock.lock();
            }
        }
    }
    for (auto& t : workers) {
        t.join();
    }
    if (failure) {
        std::rethrow_exception(failure);
    }
    result.wall_s = seconds_since(t0);
    if (sampler) {
        VramSamples v = sampler->stop(); // rethrows what failed on the sampler's thread
        result.vram = std::move(v.peaks);
        result.vram_samples = v.readings;
        result.vram_note = std::move(v.note);
    }
    return result;
}

} // namespace vramplan
