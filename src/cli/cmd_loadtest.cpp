// `vramplan loadtest`: concurrent chat completions against llama-server endpoints, with the GPU's
// memory sampled meanwhile.

#include "app.hpp"
#include <unistd.h>

#include <vramplan/base/error.hpp>
#include <vramplan/base/text_file.hpp>
#include <vramplan/report/loadtest_report.hpp>
#include <vramplan/runtime/gpu_reader.hpp>
#include <vramplan/runtime/loadtest.hpp>

#include <fmt/format.h>

#include <cstdio>
#include <memory>

namespace vramplan::cli {

namespace {

struct Options {
    std::vector<std::string> urls;
    std::uint32_t concurrency = 1;
    std::uint64_t requests = 0;
    std::string duration;
    std::string prompts;
    std::uint32_t max_tokens = 64;
    bool no_stream = false;
    double timeout_s = 120;
    std::string model = "vramplan-loadtest";
    std::string gpu_source = "auto";
    bool no_vram = false;
    bool allow_remote = false;
    bool quiet = false;
    bool json = false;
};

LoadtestOptions loadtest_options(const Options& o) {
    LoadtestOptions lo;
    for (const std::string& url : o.urls) {
        Endpoint e = parse_endpoint(url);
        require_loopback(e, o.allow_remote, "--url");
        lo.endpoints.push_back(std::move(e));
    }
    if (o.concurrency == 0 || o.concurrency > 1024) {
        throw Error(ErrorKind::usage, "--concurrency", "must be from 1 to 1024");
    }
    lo.concurrency = o.concurrency;
    if (!o.duration.empty() && o.requests > 0) {
        throw Error(ErrorKind::usage, "--duration", "give --requests or --duration, not both");
    }
    if (!o.duration.empty()) {
        lo.duration = parse_duration(o.duration, "--duration");
    } else {
        lo.requests = o.requests > 0 ? o.requests : 10;
    }
    lo.prompts = load_prompts(o.prompts);
    if (o.max_tokens == 0) {
        throw Error(ErrorKind::usage, "--max-tokens", "must be at least 1");
    }
    lo.max_tokens = o.max_tokens;
    lo.stream = !o.no_stream;
    if (!(o.timeout_s > 0 && o.timeout_s <= 86400)) {
        throw Error(ErrorKind::usage, "--timeout", "must be from 0 to 86400 seconds");
    }
    lo.timeout = std::chrono::milliseconds(static_cast<std::int64_t>(o.timeout_s * 1000));
    lo.model = o.model;
    return lo;
}

int run(const Options& o) {
    const LoadtestOptions lo = loadtest_options(o);
    std::unique_ptr<GpuReader> gpu;
    std::string vram_note;
    if (o.no_vram) {
        vram_note = "--no-vram";
    } else {
        try {
            gpu = open_gpu_reader(parse_gpu_source(o.gpu_source));
        } catch (const Error& e) {
            if (e.kind() != ErrorKind::unavailable) {
                throw;
            }
            vram_note = "no NVML and no nvidia-smi on this machine";
        }
    }
    const bool live = !o.quiet && isatty(STDERR_FILENO) == 1;
    const auto progress = [live](const LoadtestProgress& p) {
        if (live) {
            std::fprintf(stderr, "\r%s\033[K", render_loadtest_progress(p).c_str());
            std::fflush(stderr);
        }
    };
    LoadtestResult r = run_loadtest(lo, gpu.get(), progress);
    if (live) {
        std::fprintf(stderr, "\r\033[K");
    }
    if (r.vram_note.empty()) {
        r.vram_note = vram_note;
    }
    print(o.json ? render_loadtest_json(r, lo) : render_loadtest_text(r, lo));
    for (const RequestRecord& rec : r.records) {
        if (rec.outcome != Outcome::ok) {
            return k_exit_does_not_fit; // 1: the run finished, some requests failed
        }
    }
    return k_exit_ok;
}

} // namespace

void register_loadtest(CLI::App& app, Context& ctx) {
    auto opt = std::make_shared<Options>();
    CLI::App* cmd = app.add_subcommand(
        "loadtest", "Send concurrent chat completions to llama-server; latency, tokens/s, VRAM");
    cmd->add_option("--url", opt->urls, "Server address, repeatable (requests go to each in turn)")
        ->required();
    add_number_option(cmd, "-c,--concurrency", opt->concurrency, 1, k_max_concurrency,
                      "Requests in flight at once", true);
    add_number_option(cmd, "-n,--requests", opt->requests, 1, k_max_requests,
                      "How many requests in all (default 10)");
    cmd->add_option("--duration", opt->duration,
                    "Keep sending for this long instead: 90, 30s, 5m, 1h30m");
    cmd->add_option("--prompts", opt->prompts,
                    "Text file, one prompt per line ('#' comments); default: a built-in set");
    add_number_option(cmd, "--max-tokens", opt->max_tokens, 1, k_max_tokens,
                      "max_tokens of each request", true);
    cmd->add_flag("--no-stream", opt->no_stream,
                  "Ask for whole answers (no time to first token then)");
    add_number_option(cmd, "--timeout", opt->timeout_s, k_min_seconds, k_max_seconds,
                      "Seconds one request may take", true);
    cmd->add_option("--model", opt->model, "The requests' \"model\" field")->capture_default_str();
    add_gpu_source_option(cmd, opt->gpu_source,
                          "Where VRAM readings come from: auto, nvml, nvidia-smi");
    cmd->add_flag("--no-vram", opt->no_vram, "Do not sample GPU memory");
    cmd->add_flag("--allow-remote", opt->allow_remote,
                  "Allow addresses that are not this machine's loopback");
    cmd->add_flag("-q,--quiet", opt->quiet, "No progress line (it is shown on a terminal only)");
    cmd->add_flag("--json", opt->json, "Print JSON");
    cmd->footer(
        "\nEach request is an OpenAI chat completion (POST /v1/chat/completions), as llama-server "
        "serves it.\nLatency counts successful requests; generated tokens come from each answer's "
        "usage field.\nGPU memory is read once a second while the test runs (peak per GPU).\n\n"
        "Exit status: 0 every request succeeded, 1 some failed (the report says how), 2 bad "
        "input.\n\nExamples:\n"
        "  vramplan loadtest --url http://localhost:8001 -n 20 -c 2\n"
        "  vramplan loadtest --url http://localhost:8001 --url http://localhost:8004 "
        "--duration 30m -c 4\n"
        "  vramplan loadtest --url http://localhost:8004 --prompts prompts.txt --json\n");
    cmd->callback([opt, &ctx] { ctx.action = [opt] { return run(*opt); }; });
}

} // namespace vramplan::cli
