#include "app.hpp"

#include <vramplan/base/error.hpp>
#include <vramplan/base/text_file.hpp>
#include <vramplan/plan/deployment.hpp>
#include <vramplan/report/scenario_report.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <memory>

namespace vramplan::cli {

namespace {

struct Options {
    std::string gpu;
    std::string file;
    std::string deployment = "p2";
    std::string host = "default";
    double reserve_mib = 0;
    std::string headroom;
    std::string emit = "table";
};

int run(const Options& o, const Context& ctx) {
    const std::filesystem::path data = ctx.resolved_data_dir();
    const Catalog catalog = ctx.catalog();
    const Deployment d = load_deployment(data, o.deployment);
    // The default file is named as the data folder holds it, so the output is the same anywhere.
    const std::filesystem::path label =
        o.file.empty() ? std::filesystem::path("profiles") / "scenarios" / (o.deployment + ".yaml")
                       : std::filesystem::path(o.file);
    const std::filesystem::path file = o.file.empty() ? data / label : label;
    const std::vector<Scenario> scenarios =
        parse_scenarios(read_text_file(file), file.string(), catalog, d);
    if (scenarios.empty()) {
        throw Error(ErrorKind::data, file.string(), "no scenarios in the file");
    }

    SolveOptions so = budget_options(ctx, o.gpu, o.host, 0, o.reserve_mib);
    std::size_t most_services = 0;
    for (const auto& s : scenarios) {
        most_services = std::max(most_services, s.services.size());
    }
    so.headroom_bytes = headroom_bytes(o.headroom, so.gpu.total_bytes(), most_services);

    const std::vector<ScenarioResult> results = run_scenarios(scenarios, so);
    const PlanContext pc = plan_context(so, &d);
    if (o.emit == "json") {
        print(render_scenarios_json(results, pc));
    } else if (o.emit == "markdown") {
        print(render_scenarios_markdown(results, pc));
    } else {
        print(fmt::format("scenarios from {} on {} ({})\n", label.string(), so.gpu.name,
                          so.gpu.display_name) +
              render_scenarios_text(results, pc));
    }
    return k_exit_ok;
}

} // namespace

void register_scenarios(CLI::App& app, Context& ctx) {
    auto opt = std::make_shared<Options>();
    CLI::App* cmd = app.add_subcommand(
        "scenarios", "Cost a deployment's what-if table (fixed layers and the solver's plan)");
    cmd->add_option("--gpu", opt->gpu, "GPU profile (vramplan gpus)")->required();
    cmd->add_option("--file", opt->file,
                    "Scenario file (default: profiles/scenarios/<deployment>.yaml)");
    cmd->add_option("--deployment", opt->deployment, "Deployment profile (profiles/deployments)")
        ->capture_default_str();
    add_number_option(cmd, "--reserve", opt->reserve_mib, 0, k_max_mib,
                      "MiB other programs hold on the GPU");
    cmd->add_option("--headroom", opt->headroom,
                    "MiB or N% kept free (default: 256 MiB per service, at least 5%)");
    cmd->add_option("--host", opt->host, "Host profile (profiles/hosts)")->capture_default_str();
    cmd->add_option("--emit", opt->emit, "table, json or markdown")
        ->check(CLI::IsMember({"table", "json", "markdown"}))
        ->capture_default_str();
    cmd->footer("\nExamples:\n  vramplan scenarios --gpu rtx4050\n"
                "  vramplan scenarios --gpu rtx4060 --emit markdown > docs/scenarios.md\n"
                "Exit code 0 whatever the verdicts: the table is the answer. Use solve or "
                "check to gate on fitting.");
    cmd->callback([opt, &ctx] { ctx.action = [opt, &ctx] { return run(*opt, ctx); }; });
}

} // namespace vramplan::cli
