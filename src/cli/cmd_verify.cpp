// `vramplan verify`: the deployment checklist against a plan, on the real GPU.

#include "app.hpp"
#include <unistd.h>

#include <vramplan/base/error.hpp>
#include <vramplan/base/strings.hpp>
#include <vramplan/base/text_file.hpp>
#include <vramplan/report/verify_report.hpp>
#include <vramplan/runtime/gpu_reader.hpp>
#include <vramplan/runtime/subprocess.hpp>
#include <vramplan/runtime/verify.hpp>

#include <fmt/format.h>

#include <cstdio>
#include <fstream>
#include <memory>

namespace vramplan::cli {

namespace {

struct Options {
    std::string plan;
    ComposeInputs compose;
    std::string up;
    double up_timeout_s = 300;
    std::string server_host = "127.0.0.1";
    double baseline_limit_mib = 1024;
    double tolerance_mib = 64;
    double tolerance_pct = 5;
    double start_timeout_s = 600;
    double settle_s = 1;
    bool load = false;
    bool allow_remote = false;
    std::uint64_t load_requests = 0;
    std::string load_duration;
    std::uint32_t load_concurrency = 0;
    std::uint32_t max_tokens = 64;
    std::string prompts;
    std::string watch;
    bool files_only = false;
    std::uint32_t gpu_index = 0;
    std::string gpu_source = "auto";
    bool quiet = false;
    bool json = false;
};

std::chrono::milliseconds seconds_option(double s, const char* flag, double max_s) {
    if (!(s >= 0 && s <= max_s)) {
        throw Error(ErrorKind::usage, flag, fmt::format("must be from 0 to {} seconds", max_s));
    }
    return std::chrono::milliseconds(static_cast<std::int64_t>(s * 1000));
}

std::uint64_t mib_option(double mib, const char* flag) {
    if (!(mib >= 0 && mib <= 1024.0 * 1024)) {
        throw Error(ErrorKind::usage, flag, "must be from 0 to 1048576 MiB");
    }
    return static_cast<std::uint64_t>(mib * 1024 * 1024);
}

VerifyPlan read_plan(const Options& o, const Context& ctx) {
    if (!o.plan.empty() && !o.compose.compose_file.empty()) {
        throw Error(ErrorKind::usage, "--plan", "give a plan or a compose file, not both");
    }
    if (!o.plan.empty()) {
        return verify_plan_from_json(read_text_file(o.plan), o.plan);
    }
    if (o.compose.compose_file.empty()) {
        throw Error(ErrorKind::usage, "verify", "nothing to verify",
                    "pass --plan plan.json (vramplan solve --emit json) or a compose file with "
                    "--gpu");
    }
    if (o.compose.gpu.empty()) {
        throw Error(ErrorKind::usage, "--gpu", "a compose file is verified against a GPU profile",
                    "add --gpu (vramplan gpus lists them)");
    }
    const ComposeCheck c = run_compose_check(ctx, o.compose);
    return verify_plan_from_check(c.result, c.project);
}

VerifyOptions verify_options(const Options& o) {
    VerifyOptions vo;
    if (!o.compose.models_dir.empty()) {
        vo.models_dir = o.compose.models_dir;
    }
    // With a compose file the .env is where the plan came from; with a plan it is compared.
    if (!o.plan.empty() && !o.compose.env_file.empty()) {
        vo.env_file = o.compose.env_file;
    }
    vo.baseline_limit_bytes = mib_option(o.baseline_limit_mib, "--baseline-limit");
    vo.tolerance_bytes = mib_option(o.tolerance_mib, "--tolerance-mib");
    if (!(o.tolerance_pct >= 0 && o.tolerance_pct <= 100)) {
        throw Error(ErrorKind::usage, "--tolerance-pct", "must be from 0 to 100");
    }
    vo.tolerance_fraction = o.tolerance_pct / 100;
    vo.host = o.server_host;
    (void)service_endpoint(vo.host, 1); // a usage error now, not mid-run
    vo.start_timeout = seconds_option(o.start_timeout_s, "--start-timeout", 86400);
    vo.settle = seconds_option(o.settle_s, "--settle", 600);
    vo.files_only = o.files_only;
    vo.environment = process_env;
    vo.gpu_index = o.gpu_index;
    if (o.load) {
        // The load phase sends requests to --server-host: loopback only, as for `loadtest`.
        require_loopback(service_endpoint(vo.host, 1), o.allow_remote, "--server-host");
        LoadtestOptions lo;
        lo.concurrency = o.load_concurrency;
        if (!o.load_duration.empty()) {
            lo.duration = parse_duration(o.load_duration, "--load-duration");
        } else {
            lo.requests = o.load_requests > 0 ? o.load_requests : 20;
        }
        lo.max_tokens = o.max_tokens;
        lo.prompts = load_prompts(o.prompts);
        lo.model = "vramplan-verify";
        lo.sample_every = std::chrono::milliseconds(250);
        vo.load = lo;
    }
    return vo;
}

// `--up "docker compose up -d {service}"`: the command for one service, run through the shell.
std::function<void(const VerifyService&)> up_hook(const Options& o) {
    if (o.up.empty()) {
        return {};
    }
    const auto timeout = seconds_option(o.up_timeout_s, "--up-timeout", 86400);
    return [command = o.up, timeout](const VerifyService& s) {
        const std::string cmd = up_command(command, s);
        const ProcessResult r = run_shell(cmd, timeout);
        if (r.timed_out || r.exit_code != 0) {
            const std::string out = std::string(trim(r.err.empty() ? r.out : r.err));
            throw Error(ErrorKind::data, "--up",
                        fmt::format("`{}` {}{}", cmd,
                                    r.timed_out ? "did not finish in time"
                                                : fmt::format("exited with {}", r.exit_code),
                                    out.empty() ? "" : ": " + out.substr(0, 400)));
        }
    };
}

int run(const Options& o, const Context& ctx) {
    const VerifyPlan plan = read_plan(o, ctx);
    VerifyOptions vo = verify_options(o);
    if (vo.load && vo.load->concurrency == 0) {
        vo.load->concurrency = static_cast<std::uint32_t>(plan.services.size());
    }
    std::unique_ptr<GpuReader> gpu;
    if (!o.files_only) {
        gpu = open_gpu_reader(parse_gpu_source(o.gpu_source)); // exit 2 when there is none
    }
    VerifyHooks hooks;
    hooks.start = up_hook(o);
    if (!o.quiet && isatty(STDERR_FILENO) == 1) {
        hooks.status = [](const std::string& line) { std::fprintf(stderr, "%s\n", line.c_str()); };
    }
    // --watch: appended as readings arrive (a log to plot, also while verify runs), one whole
    // line at a time.
    std::ofstream watch;
    if (!o.watch.empty()) {
        watch.open(o.watch, std::ios::binary | std::ios::trunc);
        if (!watch) {
            throw Error(ErrorKind::io, o.watch, "cannot write the watch file");
        }
        watch << watch_csv_header() << std::flush;
        hooks.on_reading = [&watch](double t, const GpuSnapshot& snap) {
            watch << watch_csv_rows(t, snap) << std::flush;
        };
    }
    const VerifyResult r = run_verify(plan, vo, gpu.get(), hooks);
    print(o.json ? render_verify_json(r) : render_verify_text(r));
    return r.passed() ? k_exit_ok : k_exit_does_not_fit;
}

} // namespace

void register_verify(CLI::App& app, Context& ctx) {
    auto opt = std::make_shared<Options>();
    CLI::App* cmd = app.add_subcommand(
        "verify", "Walk the deployment checklist on the real GPU: predicted vs measured VRAM");
    cmd->add_option("--plan", opt->plan, "The plan: vramplan solve ... --emit json > plan.json");
    add_compose_options(cmd, opt->compose, false);
    cmd->get_option("--env-file")
        ->description("With --plan: the deployed .env, compared with the plan's values; with a "
                      "compose file: its variables (default: .env beside it)");
    cmd->add_option("--up", opt->up,
                    "Command that starts one service, {service} replaced by its name; run for "
                    "each in the planned order (default: you start them, verify waits)");
    add_number_option(cmd, "--up-timeout", opt->up_timeout_s, k_min_seconds, k_max_seconds,
                      "Seconds the --up command may take", true);
    cmd->add_option("--server-host", opt->server_host, "Where the services' ports are published")
        ->capture_default_str();
    add_number_option(cmd, "--baseline-limit", opt->baseline_limit_mib, 0, k_max_mib,
                      "MiB the GPU may hold before the first service starts", true);
    add_number_option(cmd, "--tolerance-mib", opt->tolerance_mib, 0, k_max_mib,
                      "A start passes within this many MiB of its prediction...", true);
    add_number_option(cmd, "--tolerance-pct", opt->tolerance_pct, 0, 100,
                      "...or this percentage, if larger", true);
    add_number_option(cmd, "--start-timeout", opt->start_timeout_s, k_min_seconds, k_max_seconds,
                      "Seconds a service may take to answer /health (loading a model)", true);
    add_number_option(cmd, "--settle", opt->settle_s, 0, k_max_seconds,
                      "Seconds to wait after /health before reading", true);
    cmd->add_flag("--load", opt->load, "Then send chat completions to every service (load phase)");
    cmd->add_flag("--allow-remote", opt->allow_remote,
                  "Allow --load when --server-host is not this machine's loopback");
    add_number_option(cmd, "--load-requests", opt->load_requests, 1, k_max_requests,
                      "Requests in the load phase (20)");
    cmd->add_option("--load-duration", opt->load_duration, "Or a duration: 30s, 5m, 1h");
    add_number_option(cmd, "--load-concurrency", opt->load_concurrency, 1, k_max_concurrency,
                      "Requests in flight (default: one per service)");
    add_number_option(cmd, "--max-tokens", opt->max_tokens, 1, k_max_tokens,
                      "max_tokens of each load request", true);
    cmd->add_option("--prompts", opt->prompts, "Prompt file for the load phase");
    cmd->add_option("--watch", opt->watch, "Write a VRAM reading per second to this CSV file");
    cmd->add_flag("--files-only", opt->files_only,
                  "Only the steps without a GPU: model files and .env");
    add_number_option(cmd, "--gpu-index", opt->gpu_index, 0, k_max_gpu_index,
                      "The GPU the services share", true);
    add_gpu_source_option(cmd, opt->gpu_source,
                          "Where VRAM readings come from: auto, nvml, nvidia-smi");
    cmd->add_flag("-q,--quiet", opt->quiet, "No progress lines (shown on a terminal only)");
    cmd->add_flag("--json", opt->json, "Print JSON");
    cmd->footer(
        "\nThe checklist (docs/verify.md): 1 model files exist, with the catalogued size and a "
        "GGUF "
        "header\nwith the planned layers; 2 the .env holds the planned values; 3 the GPU is the "
        "one planned for\nand holds less than --baseline-limit before the start; 4 each service, "
        "started in the planned\norder, answers /health and takes its predicted VRAM (per process "
        "where the driver says);\n5 with --load: no request fails and the peak stays below the "
        "GPU minus the headroom.\n\n"
        "Exit status: 0 every step passed (or was skipped), 1 a step failed, 2 bad input or no "
        "GPU reader.\n\nExamples:\n"
        "  vramplan solve --gpu rtx4050 --chat 3b --code 7b --emit json > plan.json\n"
        "  vramplan verify --plan plan.json --env-file .env --models-dir ./models \\\n"
        "      --up \"docker compose up -d {service}\" --load\n"
        "  vramplan verify docker/compose.p2.yml --gpu rtx4050 --up \"docker compose -f "
        "docker/compose.p2.yml up -d {service}\"\n"
        "  vramplan verify --plan plan.json --models-dir ./models --files-only\n");
    cmd->callback([opt, &ctx] { ctx.action = [opt, &ctx] { return run(*opt, ctx); }; });
}

} // namespace vramplan::cli
