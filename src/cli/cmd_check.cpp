// `vramplan check`: a compose file (and its .env) against the GPU, for CI.

#include "app.hpp"

#include <vramplan/check_report.hpp>
#include <vramplan/compose.hpp>
#include <vramplan/error.hpp>
#include <vramplan/strings.hpp>

#include <cstdlib>
#include <memory>

namespace vramplan::cli {

namespace {

struct Options {
    std::string compose_file;
    std::string env_file;
    std::string gpu;
    std::string host = "default";
    double host_bandwidth = 0;
    double reserve_mib = 0;
    std::string headroom;
    std::string models_dir;
    std::vector<std::string> profiles;
    std::string format = "text";
    bool json = false;
    bool strict = false;
};

std::optional<std::string> process_env(std::string_view name) {
    const char* v = std::getenv(std::string(name).c_str());
    return v == nullptr ? std::nullopt : std::optional<std::string>(v);
}

int run(const Options& o, const Context& ctx) {
    const std::optional<std::filesystem::path> env_file =
        o.env_file.empty() ? std::nullopt : std::optional<std::filesystem::path>(o.env_file);
    const ComposeProject project = load_compose(o.compose_file, env_file, process_env).project;

    CheckOptions co;
    const SolveOptions so = budget_options(ctx, o.gpu, o.host, o.host_bandwidth, o.reserve_mib);
    co.gpu = so.gpu;
    co.reserve_bytes = so.reserve_bytes;
    co.host = so.host;
    co.headroom = o.headroom;
    if (!o.models_dir.empty()) {
        co.models_dir = o.models_dir;
    }
    co.profiles = o.profiles;
    if (co.profiles.empty()) {
        if (auto p = process_env("COMPOSE_PROFILES"); p && !p->empty()) {
            co.profiles = split(*p, ',');
        }
    }
    const CheckResult r = check_compose(project, ctx.catalog(), co);

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
    cmd->add_option("compose_file", opt->compose_file, "The compose file (compose.yml)")
        ->required();
    cmd->add_option("--gpu", opt->gpu, "GPU profile (vramplan gpus)")->required();
    cmd->add_option("--env-file", opt->env_file,
                    "Variables for interpolation (default: .env beside the compose file)");
    cmd->add_option("--models-dir", opt->models_dir,
                    "Host folder mounted at /models: read the real GGUF files (default: match "
                    "file names to the catalog)");
    cmd->add_option("--reserve", opt->reserve_mib, "MiB other programs hold on the GPU");
    cmd->add_option("--headroom", opt->headroom,
                    "MiB or N% kept free (default: 256 MiB per process, at least 5%)");
    cmd->add_option("--host", opt->host, "Host profile for the speed of suggested layer counts")
        ->capture_default_str();
    cmd->add_option("--host-bandwidth", opt->host_bandwidth, "Host memory bandwidth, GB/s");
    cmd->add_option("--profile", opt->profiles,
                    "Compose profile to activate (repeatable; default: COMPOSE_PROFILES)");
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
