#include <vramplan/base/json_output.hpp>
#include <vramplan/base/text_table.hpp>
#include <vramplan/base/units.hpp>
#include <vramplan/report/loadtest_report.hpp>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>

namespace vramplan {

namespace {

constexpr std::array<Outcome, k_outcome_count> k_outcomes{
    Outcome::ok,       Outcome::refused,  Outcome::timeout,      Outcome::disconnected,
    Outcome::http_4xx, Outcome::http_5xx, Outcome::bad_response, Outcome::other};

LoadtestStats stats_of(const LoadtestResult& r, const std::string& label,
                       std::optional<std::size_t> endpoint) {
    LoadtestStats s;
    s.label = label;
    std::vector<double> latency;
    std::vector<double> ttft;
    std::vector<double> decode;
    for (const RequestRecord& rec : r.records) {
        if (endpoint && rec.endpoint != *endpoint) {
            continue;
        }
        ++s.requests;
        const auto k = static_cast<std::size_t>(rec.outcome);
        ++s.by_outcome[k];
        if (s.first_detail[k].empty()) {
            s.first_detail[k] = rec.detail;
        }
        s.prompt_tokens += rec.prompt_tokens.value_or(0);
        s.completion_tokens += rec.completion_tokens.value_or(0);
        if (rec.outcome != Outcome::ok) {
            continue;
        }
        ++s.ok;
        latency.push_back(rec.latency_s);
        s.ok_without_usage += rec.completion_tokens ? 0U : 1U;
        if (rec.ttft_s) {
            ttft.push_back(*rec.ttft_s);
            // Tokens after the first, over the time after the first.
            if (rec.completion_tokens && *rec.completion_tokens > 1 &&
                rec.latency_s > *rec.ttft_s) {
                decode.push_back(static_cast<double>(*rec.completion_tokens - 1) /
                                 (rec.latency_s - *rec.ttft_s));
            }
        }
    }
    if (r.wall_s > 0) {
        s.requests_per_s = static_cast<double>(s.requests) / r.wall_s;
        s.completion_tokens_per_s = static_cast<double>(s.completion_tokens) / r.wall_s;
    }
    s.latency_s = percentiles(latency);
    s.ttft_s = percentiles(ttft);
    if (const auto d = percentiles(decode)) {
        s.decode_tokens_per_s = d->p50;
    }
    return s;
}

std::string ms(const std::optional<Percentiles>& p, double Percentiles::*field) {
    return p ? fmt::format("{:.0f}", (*p).*field * 1000) : std::string("-");
}

nlohmann::json percentiles_json(const std::optional<Percentiles>& p) {
    if (!p) {
        return nullptr;
    }
    return {{"p50", p->p50}, {"p95", p->p95}, {"p99", p->p99}};
}

std::string mode_text(const LoadtestOptions& o) {
    const std::string limit =
        o.requests ? fmt::format("{} requests", *o.requests)
                   : fmt::format("{} s", std::chrono::duration<double>(*o.duration).count());
    return fmt::format("{} to {} endpoint{}, {} at a time, {}, max_tokens {}", limit,
                       o.endpoints.size(), o.endpoints.size() == 1 ? "" : "s", o.concurrency,
                       o.stream ? "streaming" : "not streaming", o.max_tokens);
}

} // namespace

std::optional<Percentiles> percentiles(std::vector<double> values) {
    if (values.empty()) {
        return std::nullopt;
    }
    std::sort(values.begin(), values.end());
    const auto rank = [&](double p) {
        // Nearest rank: the smallest value with at least p of the values at or below it.
        const auto n = static_cast<double>(values.size());
        const auto k = static_cast<std::size_t>(std::ceil(p * n));
        return values[std::clamp<std::size_t>(k, 1, values.size()) - 1];
    };
    return Percentiles{rank(0.50), rank(0.95), rank(0.99)};
}

std::vector<LoadtestStats> loadtest_stats(const LoadtestResult& r, const LoadtestOptions& o) {
    std::vector<LoadtestStats> out;
    for (std::size_t e = 0; e < o.endpoints.size(); ++e) {
        out.push_back(stats_of(r, o.endpoints[e].text, e));
    }
    if (o.endpoints.size() > 1) {
        out.push_back(stats_of(r, "all", std::nullopt));
    }
    return out;
}

std::string render_loadtest_text(const LoadtestResult& r, const LoadtestOptions& o) {
    const std::vector<LoadtestStats> stats = loadtest_stats(r, o);
    std::string out = fmt::format("loadtest: {}; ran {:.2f} s\n\n", mode_text(o), r.wall_s);
    TextTable t({{"endpoint"},
                 {"requests", TextTable::Align::right},
                 {"ok", TextTable::Align::right},
                 {"failed", TextTable::Align::right},
                 {"req/s", TextTable::Align::right},
                 {"p50 ms", TextTable::Align::right},
                 {"p95 ms", TextTable::Align::right},
                 {"p99 ms", TextTable::Align::right},
                 {"TTFT p50", TextTable::Align::right},
                 {"TTFT p95", TextTable::Align::right},
                 {"gen tok/s", TextTable::Align::right}});
    for (const LoadtestStats& s : stats) {
        t.add_row({s.label, std::to_string(s.requests), std::to_string(s.ok),
                   std::to_string(s.requests - s.ok), fmt::format("{:.2f}", s.requests_per_s),
                   ms(s.latency_s, &Percentiles::p50), ms(s.latency_s, &Percentiles::p95),
                   ms(s.latency_s, &Percentiles::p99), ms(s.ttft_s, &Percentiles::p50),
                   ms(s.ttft_s, &Percentiles::p95),
                   fmt::format("{:.1f}", s.completion_tokens_per_s)});
    }
    out += t.render();

    const LoadtestStats& all = stats.back();
    out += "\n";
    if (all.ok == all.requests) {
        out += "failures: none\n";
    } else {
        out += "failures:\n";
        for (const Outcome k : k_outcomes) {
            const auto i = static_cast<std::size_t>(k);
            if (k != Outcome::ok && all.by_outcome[i] > 0) {
                out += fmt::format("  {:<13} {:>5}  {}\n", outcome_name(k), all.by_outcome[i],
                                   all.first_detail[i]);
            }
        }
    }
    out += fmt::format("tokens: {} generated, {} in prompts (from the answers' usage)",
                       all.completion_tokens, all.prompt_tokens);
    if (all.ok_without_usage > 0) {
        out += fmt::format("; {} answers had no usage", all.ok_without_usage);
    }
    out += "\n";
    if (all.decode_tokens_per_s) {
        out += fmt::format("generation per request after the first token: {:.1f} tok/s (median)\n",
                           *all.decode_tokens_per_s);
    }
    if (r.vram.empty()) {
        out += fmt::format("peak VRAM: not sampled{}\n",
                           r.vram_note.empty() ? "" : " (" + r.vram_note + ")");
    } else {
        out += fmt::format("peak VRAM ({}, {} readings):\n", r.vram_source, r.vram_samples);
        for (const VramPeak& v : r.vram) {
            out += fmt::format("  GPU {} {}: {} MiB of {} MiB\n", v.gpu, v.name,
                               format_mib(v.peak_used_bytes), format_mib(v.total_bytes));
        }
        if (!r.vram_note.empty()) {
            out += fmt::format("  note: {}\n", r.vram_note);
        }
    }
    return out;
}

std::string render_loadtest_json(const LoadtestResult& r, const LoadtestOptions& o) {
    nlohmann::json j;
    j["concurrency"] = o.concurrency;
    j["requests_limit"] = o.requests ? nlohmann::json(*o.requests) : nlohmann::json(nullptr);
    j["duration_limit_s"] = o.duration
                                ? nlohmann::json(std::chrono::duration<double>(*o.duration).count())
                                : nlohmann::json(nullptr);
    j["stream"] = o.stream;
    j["max_tokens"] = o.max_tokens;
    j["wall_s"] = r.wall_s;
    nlohmann::json endpoints = nlohmann::json::array();
    for (const LoadtestStats& s : loadtest_stats(r, o)) {
        nlohmann::json e;
        e["endpoint"] = s.label;
        e["requests"] = s.requests;
        e["ok"] = s.ok;
        e["failed"] = s.requests - s.ok;
        nlohmann::json errors = nlohmann::json::object();
        for (const Outcome k : k_outcomes) {
            const auto i = static_cast<std::size_t>(k);
            if (k != Outcome::ok && s.by_outcome[i] > 0) {
                errors[std::string(outcome_name(k))] = {{"count", s.by_outcome[i]},
                                                        {"example", s.first_detail[i]}};
            }
        }
        e["errors"] = errors;
        e["requests_per_s"] = s.requests_per_s;
        e["latency_s"] = percentiles_json(s.latency_s);
        e["ttft_s"] = percentiles_json(s.ttft_s);
        e["prompt_tokens"] = s.prompt_tokens;
        e["completion_tokens"] = s.completion_tokens;
        e["completion_tokens_per_s"] = s.completion_tokens_per_s;
        e["decode_tokens_per_s_median"] =
            s.decode_tokens_per_s ? nlohmann::json(*s.decode_tokens_per_s) : nlohmann::json();
        e["ok_without_usage"] = s.ok_without_usage;
        endpoints.push_back(e);
    }
    j["endpoints"] = endpoints;
    nlohmann::json vram;
    vram["source"] = r.vram.empty() ? nlohmann::json(nullptr) : nlohmann::json(r.vram_source);
    vram["samples"] = r.vram_samples;
    vram["note"] = r.vram_note;
    vram["gpus"] = nlohmann::json::array();
    for (const VramPeak& v : r.vram) {
        vram["gpus"].push_back({{"index", v.gpu},
                                {"name", v.name},
                                {"peak_used_bytes", v.peak_used_bytes},
                                {"total_bytes", v.total_bytes}});
    }
    j["vram"] = vram;
    // Names and messages from servers, GPUs and the command line may hold bytes that are not
    // UTF-8: replaced (U+FFFD), where nlohmann's default would throw.
    return json_output(j);
}

std::string render_loadtest_progress(const LoadtestProgress& p) {
    std::string out = p.target ? fmt::format("{}/{} requests", p.done, *p.target)
                               : fmt::format("{} requests", p.done);
    out += fmt::format(", {} failed, {:.1f} s", p.failed, p.elapsed_s);
    if (p.duration_s) {
        out += fmt::format(" of {:.0f} s", *p.duration_s);
    }
    return out;
}

} // namespace vramplan
