// `vramplan check`: a compose file (and its .env) against the GPU, for CI.

#include "app.hpp"

#include <vramplan/base/error.hpp>
#include <vramplan/base/strings.hpp>
#include <vramplan/compose/compose.hpp>
#include <vramplan/report/check_report.hpp>

#include <memory>

namespace vramplan::cli {

namespace {

struct Options {
    ComposeInputs compose;
    std::string format = "text";
    bool json = false;
    bool strict = false;
};

} // namespace

ComposeCheck run_compose_check(const Context& ctx, const ComposeInputs& in) {
    const std::optional<std::filesystem::path> env_file =
        in.env_file.empty() ? std::nullopt : std::optional<std::filesystem::path>(in.env_file);
    ComposeProject project = load_compose(in.compose_file, env_file, process_env).project;
    CheckOptions co;
    const SolveOptions so = budget_options(ctx, in.gpu, in.host, in.host_bandwidth, in.reserve_mib);
    co.gpu = so.gpu;
    co.reserve_bytes = so.reserve_bytes;
    co.host = so.host;
    co.headroom = in.headroom;
    if (!in.models_dir.empty()) {
        co.models_dir = in.models_dir;
    }
    co.profiles = in.profiles;
    if (co.profiles.empty()) {
        if (auto p = process_env("COMPOSE_PROFILES"); p && !p->empty()) {
            co.profiles = split(*p, ',');
        }
    }
    CheckResult result = check_compose(project, ctx.catalog(), co);
    return {std::move(project), std::move(result)};
}

void add_compose_options(CLI::App* cmd, ComposeInputs& in, bool compose_required) {
    auto* file = cmd->add_option("compose_file", in.compose_file, "The compose file (compose.yml)");
    auto* gpu = cmd->add_option("--gpu", in.gpu, "GPU profile (vramplan gpus)");
    if (compose_required) {
        file->required();
        gpu->required();
    }
    cmd->add_option("--env-file", in.env_file,
                    "Variables for interpolation (default: .env beside the compose file)");
    cmd->add_option("--models-dir", in.models_dir,
                    "Host folder mounted at /models: read the real GGUF files (default: match "
                    "file names to the catalog)");
    add_number_option(cmd, "--reserve", in.reserve_mib, 0, k_max_mib,
                      "MiB other programs hold on the GPU");
    cmd->add_option("--headroom", in.headroom,
                    "MiB or N% kept free (default: 256 MiB per process, at least 5%)");
    cmd->add_option("--host", in.host, "Host profile for the speed of suggested layer counts")
        ->capture_default_str();
    add_number_option(cmd, "--host-bandwidth", in.host_bandwidth, 0, k_max_bandwidth_gb_s,
                      "Host memory bandwidth, GB/s");
    cmd->add_option("--profile", in.profiles,
                    "Compose profile to activate (repeatable; default: COMPOSE_PROFILES)");
}

namespace {

int run(const Options& o, const Context& ctx) {
    const CheckResult r = run_compose_check(ctx, o.compose).result;
    const std::string format = o.json ? "json" : o.format;
    if (format == "json") {
        print(render_check_json(r, o.strict));
    } else if (format == "github") {
        print(render_check_github(r, o.strict));
    } else {
        print(render_check_text(r, o.strict));
    }
    return check_passed(r, o.strict) ? k_exit_ok : k_exit_does_not_fit;
}

} // namespace

void register_check(CLI::App& app, Context& ctx) {
    auto opt = std::make_shared<Options>();
    CLI::App* cmd = app.add_subcommand(
        "check", "Check that the llama-server services of a compose file fit the GPU (for CI)");
    add_compose_options(cmd, opt->compose, true);
    cmd->add_option("--format", opt->format, "text, json or github (Actions annotations)")
        ->check(CLI::IsMember({"text", "json", "github"}))
        ->capture_default_str();
    cmd->add_flag("--json", opt->json, "Same as --format json");
    cmd->add_flag("--strict", opt->strict, "Warnings fail the check too");
    cmd->footer(
        "\nExamples:\n"
        "  vramplan check docker/compose.p2.yml --gpu rtx4050\n"
        "  vramplan check compose.yml --env-file prod.env --gpu rtx4090 --models-dir /srv/models\n"
        "  vramplan check compose.yml --gpu rtx4050 --format github   (in GitHub Actions)\n"
        "Exit codes: 0 pass, 1 errors (--strict: or warnings), 2 unreadable or invalid input.\n"
        "docs/check.md lists every rule and its fix.");
    cmd->callback([opt, &ctx] { ctx.action = [opt, &ctx] { return run(*opt, ctx); }; });
}

} // namespace vramplan::cli
