#include "app.hpp"

#include <vramplan/base/atomic_file.hpp>
#include <vramplan/base/error.hpp>
#include <vramplan/base/text_file.hpp>
#include <vramplan/estimate/server_args.hpp>
#include <vramplan/plan/services.hpp>
#include <vramplan/report/plan_report.hpp>

#include <fmt/format.h>

#include <iostream>
#include <memory>

namespace vramplan::cli {

namespace {

// Ports for services that name none (--service, plan files), upwards from here.
constexpr std::uint16_t k_first_service_port = 8101;

struct Options {
    std::string gpu;
    std::string chat;
    std::string code;
    std::vector<std::string> services;
    std::optional<std::string> quant;
    std::string plan_file;
    std::string deployment = "p2";
    bool deployment_given = false;
    bool reserve_given = false;
    std::string host = "default";
    double host_bandwidth = 0;
    double reserve_mib = 0;
    std::string headroom;
    std::vector<std::string> allow;
    std::string emit = "table";
    std::string out_dir;
    bool force = false;
    std::string command;
};

int run(const Options& o, const Context& ctx) {
    const std::filesystem::path data = ctx.resolved_data_dir();
    const Catalog catalog = ctx.catalog();
    std::vector<ServiceRequest> services;
    std::optional<Deployment> deployment;
    std::string gpu = o.gpu;
    std::string headroom = o.headroom;
    double reserve_mib = o.reserve_mib;
    if (!o.plan_file.empty()) {
        // The file gives defaults; flags on the command line win.
        const PlanFile pf = parse_plan_file(
            read_text_file(o.plan_file), o.plan_file, catalog,
            [&](const std::optional<std::string>& name) {
                deployment =
                    load_deployment(data, o.deployment_given || !name ? o.deployment : *name);
                return *deployment;
            },
            o.quant);
        gpu = gpu.empty() ? pf.gpu.value_or("") : gpu;
        headroom = headroom.empty() ? pf.headroom.value_or("") : headroom;
        reserve_mib = o.reserve_given ? reserve_mib : pf.reserve_mib.value_or(0);
        services = pf.services;
    }
    if (gpu.empty()) {
        throw Error(ErrorKind::usage, "solve", "no GPU given",
                    "pass --gpu NAME (vramplan gpus lists them) or set gpu: in the --plan file");
    }
    const Deployment d = deployment ? *deployment : load_deployment(data, o.deployment);
    SolveOptions so = budget_options(ctx, gpu, o.host, o.host_bandwidth, reserve_mib);
    for (const auto& knob : o.allow) {
        (knob == "ctx"       ? so.allow_ctx
         : knob == "kv-type" ? so.allow_kv_type
                             : so.allow_parallel) = true;
    }

    if (!o.chat.empty()) {
        services.push_back(role_service("chat", o.chat, catalog, d, o.quant));
    }
    if (!o.code.empty()) {
        services.push_back(role_service("code", o.code, catalog, d, o.quant));
    }
    for (const auto& spec : o.services) {
        services.push_back(spec_service(spec, catalog, d, o.quant, 0));
    }
    if (services.empty()) {
        throw Error(ErrorKind::usage, "solve", "no services to plan",
                    "give --chat MODEL, --code MODEL, --service NAME=MODEL or --plan FILE");
    }
    // Every service gets a port of its own (a plan file may give none), and no two share a
    // name or .env prefix: the files written below must pass `vramplan check`.
    assign_ports_and_check(services, k_first_service_port);
    // Default headroom: what no buffer shows beyond the CUDA context (the CUDA memory pool and
    // cuBLAS workspace, tens to a few hundred MiB per process) and fragmentation (docs/solver.md).
    so.headroom_bytes = headroom_bytes(headroom, so.gpu.total_bytes(), services.size());

    const Plan plan = solve(services, so);
    const PlanContext pc = plan_context(so, &d, o.command);

    if (!o.out_dir.empty() && plan.fits) {
        write_marked_files(o.out_dir,
                           {{".env", render_plan_env(plan, pc), true},
                            {d.compose_file, render_plan_compose(plan, pc), false}},
                           k_written_by, o.force);
        std::cerr << fmt::format("wrote {}/.env and {}/{}\n", o.out_dir, o.out_dir, d.compose_file);
    } else if (!o.out_dir.empty()) {
        // The plan below says why and what would make it fit; exit 1 as for any plan that
        // does not fit.
        std::cerr << fmt::format("the plan does not fit: nothing was written to {}\n", o.out_dir);
    }
    if (o.emit == "json") {
        print(render_plan_json(plan, pc));
    } else if (o.emit == "env") {
        print(render_plan_env(plan, pc));
    } else if (o.emit == "compose") {
        print(render_plan_compose(plan, pc));
    } else if (o.emit == "markdown") {
        print(render_plan_markdown(plan, pc));
    } else {
        print(fmt::format("plan for {} ({}) with the '{}' deployment\n", so.gpu.name,
                          so.gpu.display_name, d.name) +
              render_plan_text(plan, pc));
    }
    return plan.fits ? k_exit_ok : k_exit_does_not_fit;
}

} // namespace

void register_solve(CLI::App& app, Context& ctx) {
    auto opt = std::make_shared<Options>();
    CLI::App* cmd = app.add_subcommand(
        "solve", "Plan --n-gpu-layers for services sharing one GPU, and write the deploy files");
    cmd->add_option("--gpu", opt->gpu, "GPU profile (vramplan gpus)");
    cmd->add_option("--plan", opt->plan_file,
                    "YAML file with gpu, services and their settings (docs/solver.md)");
    cmd->add_option("--chat", opt->chat, "Chat model: role alias (3b, 7b), name or .gguf");
    cmd->add_option("--code", opt->code, "Code model: role alias (7b), name or .gguf");
    cmd->add_option(
        "--service", opt->services,
        "NAME=MODEL[,ctx=N,parallel=N,batch=N,priority=N,min-ngl=N,port=N,prompt-tokens=N,"
        "generated-tokens=N]");
    cmd->add_option("--quant", opt->quant, "File type for catalog models (default Q4_K_M)");
    CLI::Option* deployment =
        cmd->add_option("--deployment", opt->deployment,
                        "Deployment profile: flags, ports, names (profiles/deployments)")
            ->capture_default_str();
    CLI::Option* reserve = add_number_option(cmd, "--reserve", opt->reserve_mib, 0, k_max_mib,
                                             "MiB other programs hold on the GPU");
    cmd->add_option("--headroom", opt->headroom,
                    "MiB or N% kept free (default: 256 MiB per service, at least 5%)");
    cmd->add_option("--allow", opt->allow,
                    "Settings the solver may change besides layers: ctx, kv-type, parallel "
                    "(comma-separated; each change is printed)")
        ->delimiter(',')
        ->check(CLI::IsMember({"ctx", "kv-type", "parallel"}));
    cmd->add_option("--host", opt->host, "Host profile (profiles/hosts)")->capture_default_str();
    add_number_option(cmd, "--host-bandwidth", opt->host_bandwidth, 0, k_max_bandwidth_gb_s,
                      "Host memory bandwidth, GB/s");
    cmd->add_option("--emit", opt->emit, "table, json, env, compose or markdown")
        ->check(CLI::IsMember({"table", "json", "env", "compose", "markdown"}))
        ->capture_default_str();
    cmd->add_option("--out-dir", opt->out_dir, "Write .env and the compose file there");
    cmd->add_flag("--force", opt->force, "Replace files vramplan did not write");
    cmd->footer("\nExamples:\n  vramplan solve --gpu rtx4050 --chat 3b --code 7b\n"
                "  vramplan solve --gpu rtx4050 --chat 3b --code 7b --emit env > .env\n"
                "  vramplan solve --plan plan.yaml --emit json\n"
                "  vramplan solve --gpu rtx4090 --service a=qwen2.5-14b-instruct,ctx=8192 "
                "--service b=code:7b\n"
                "Exit code 1 when the services cannot fit (the output says what would).");
    cmd->callback([opt, &ctx, deployment, reserve] {
        opt->deployment_given = deployment->count() > 0;
        opt->reserve_given = reserve->count() > 0;
        ctx.action = [opt, &ctx] {
            opt->command = ctx.command_line;
            return run(*opt, ctx);
        };
    });
}

} // namespace vramplan::cli
