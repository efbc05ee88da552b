#include "app.hpp"

#include <vramplan/atomic_file.hpp>
#include <vramplan/error.hpp>
#include <vramplan/plan_report.hpp>
#include <vramplan/server_args.hpp>

#include <fmt/format.h>

#include <charconv>
#include <fstream>
#include <iostream>
#include <memory>

namespace vramplan::cli {

namespace {

struct Options {
    std::string gpu;
    std::string chat;
    std::string code;
    std::vector<std::string> services;
    std::optional<std::string> quant;
    std::string deployment = "p2";
    std::string host = "default";
    double host_bandwidth = 0;
    double reserve_mib = 0;
    std::string headroom;
    std::string emit = "table";
    std::string out_dir;
    bool force = false;
    std::string command;
};

// --headroom: MiB ("512", "512MiB") or a share of the GPU ("10%").
std::uint64_t parse_headroom(const std::string& text, std::uint64_t total) {
    std::string s = text;
    const bool percent = !s.empty() && s.back() == '%';
    if (percent) {
        s.pop_back();
    } else if (s.size() > 3 && s.substr(s.size() - 3) == "MiB") {
        s.resize(s.size() - 3);
    }
    double v = -1;
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (s.empty() || ec != std::errc{} || end != s.data() + s.size() || v < 0) {
        throw Error(ErrorKind::usage, "--headroom",
                    fmt::format("expected MiB or a percentage such as 10%, found '{}'", text));
    }
    if (percent && v >= 100) {
        throw Error(ErrorKind::usage, "--headroom",
                    fmt::format("{}% leaves nothing of the GPU; give a percentage below 100", v));
    }
    return percent ? static_cast<std::uint64_t>(static_cast<double>(total) * v / 100.0)
                   : static_cast<std::uint64_t>(v * 1048576.0);
}

// NAME=MODEL[,ctx=N,parallel=N,batch=N,priority=N,min-ngl=N,port=N]
ServiceRequest parse_service(const std::string& spec, const Catalog& catalog, const Deployment& d,
                             const std::optional<std::string>& quant, std::uint16_t default_port) {
    const auto eq = spec.find('=');
    if (eq == std::string::npos || eq == 0) {
        throw Error(ErrorKind::usage, "--service",
                    fmt::format("expected NAME=MODEL[,ctx=N,...], found '{}'", spec));
    }
    ServiceRequest r;
    r.name = spec.substr(0, eq);
    std::string rest = spec.substr(eq + 1);
    std::vector<std::string> parts;
    for (std::size_t start = 0;;) {
        const auto comma = rest.find(',', start);
        parts.push_back(rest.substr(start, comma - start));
        if (comma == std::string::npos) {
            break;
        }
        start = comma + 1;
    }
    r.model = resolve_model(catalog, parts.at(0), {}, quant);
    r.settings.n_ctx = d.ctx;
    r.settings.n_batch = d.batch;
    r.settings.n_parallel = d.parallel;
    r.threads = d.threads;
    r.cont_batching = d.cont_batching;
    r.port = default_port;
    for (std::size_t i = 1; i < parts.size(); ++i) {
        const auto kv = parts[i].find('=');
        const std::string key = parts[i].substr(0, kv);
        const std::string value = kv == std::string::npos ? "" : parts[i].substr(kv + 1);
        long n = -1;
        std::from_chars(value.data(), value.data() + value.size(), n);
        if (n < 0) {
            throw Error(ErrorKind::usage, "--service " + r.name,
                        fmt::format("'{}' needs a non-negative number", parts[i]));
        }
        if (key == "ctx") {
            r.settings.n_ctx = static_cast<std::uint32_t>(n);
        } else if (key == "parallel") {
            r.settings.n_parallel = static_cast<int>(n);
        } else if (key == "batch") {
            r.settings.n_batch = static_cast<std::uint32_t>(std::max(1L, n));
        } else if (key == "priority") {
            r.priority = static_cast<int>(n);
        } else if (key == "min-ngl") {
            r.min_gpu_layers = static_cast<std::uint32_t>(n);
        } else if (key == "port") {
            r.port = static_cast<std::uint16_t>(n);
        } else {
            throw Error(ErrorKind::usage, "--service " + r.name,
                        fmt::format("unknown setting '{}'", key),
                        "known: ctx, parallel, batch, priority, min-ngl, port");
        }
    }
    return r;
}

ServiceRequest role_service(const std::string& role, const std::string& model,
                            const Catalog& catalog, const Deployment& d,
                            const std::optional<std::string>& quant) {
    ServiceRequest r;
    r.role = role;
    const auto it = d.roles.find(role);
    r.name = it != d.roles.end() ? it->second.service : role;
    r.port = it != d.roles.end() ? it->second.port : 0;
    r.priority = it != d.roles.end() ? it->second.priority : 1;
    r.model = resolve_model(catalog, model, role, quant);
    r.settings.n_ctx = d.ctx;
    r.settings.n_batch = d.batch;
    r.settings.n_parallel = d.parallel;
    r.threads = d.threads;
    r.cont_batching = d.cont_batching;
    return r;
}

// Writes `content` to dir/name atomically; replaces only a file vramplan wrote, unless forced.
void write_output(const std::filesystem::path& dir, const std::string& name,
                  const std::string& content, bool force) {
    const std::filesystem::path path = dir / name;
    std::error_code ec;
    if (std::filesystem::exists(path, ec) && !force) {
        std::ifstream in(path);
        std::string first;
        std::getline(in, first);
        if (first.rfind(k_written_by, 0) != 0) {
            throw Error(ErrorKind::usage, path.string(), "exists and was not written by vramplan",
                        "pass --force to replace it");
        }
    }
    const auto* bytes = reinterpret_cast<const std::byte*>(content.data());
    write_file_atomically(path, std::span(bytes, content.size()), 0, true);
}

int run(const Options& o, const Context& ctx) {
    const std::filesystem::path data = ctx.resolved_data_dir();
    const Catalog catalog = ctx.catalog();
    const GpuProfiles gpus = ctx.gpus();
    const Deployment d = load_deployment(data, o.deployment);
    SolveOptions so;
    so.gpu = gpus.resolve(o.gpu);
    const HostProfile host = load_host_profile(data, o.host);
    so.host_bandwidth_gb_s = o.host_bandwidth > 0 ? o.host_bandwidth : host.bandwidth_gb_s;
    so.reserve_bytes = static_cast<std::uint64_t>(o.reserve_mib * 1048576.0);

    std::vector<ServiceRequest> services;
    if (!o.chat.empty()) {
        services.push_back(role_service("chat", o.chat, catalog, d, o.quant));
    }
    if (!o.code.empty()) {
        services.push_back(role_service("code", o.code, catalog, d, o.quant));
    }
    std::uint16_t next_port = 8101;
    for (const auto& spec : o.services) {
        services.push_back(parse_service(spec, catalog, d, o.quant, next_port++));
    }
    if (services.empty()) {
        throw Error(ErrorKind::usage, "solve", "no services to plan",
                    "give --chat MODEL, --code MODEL or --service NAME=MODEL");
    }
    // Default headroom: what no buffer shows beyond the CUDA context (the CUDA memory pool and
    // cuBLAS workspace, tens to a few hundred MiB per process) and fragmentation: 256 MiB per
    // service, at least 5% of the GPU (docs/solver.md).
    so.headroom_bytes = o.headroom.empty() ? std::max<std::uint64_t>(256ULL * services.size() << 20,
                                                                     so.gpu.total_bytes() / 20)
                                           : parse_headroom(o.headroom, so.gpu.total_bytes());

    const Plan plan = solve(services, so);
    PlanContext pc;
    pc.deployment = &d;
    pc.command = o.command;
    pc.gpu_bandwidth_gb_s = so.gpu.bandwidth_gb_s;
    pc.host_bandwidth_gb_s = so.host_bandwidth_gb_s;
    pc.reserve_bytes = so.reserve_bytes;
    pc.headroom_bytes = so.headroom_bytes;

    if (!o.out_dir.empty()) {
        if (!plan.fits) {
            throw Error(ErrorKind::usage, o.out_dir, "the plan does not fit; nothing was written",
                        "run without --out-dir to see why and what would make it fit");
        }
        write_output(o.out_dir, ".env", render_plan_env(plan, pc), o.force);
        write_output(o.out_dir, d.compose_file, render_plan_compose(plan, pc), o.force);
        std::cerr << fmt::format("wrote {}/.env and {}/{}\n", o.out_dir, o.out_dir, d.compose_file);
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
    cmd->add_option("--gpu", opt->gpu, "GPU profile (vramplan gpus)")->required();
    cmd->add_option("--chat", opt->chat, "Chat model: role alias (3b, 7b), name or .gguf");
    cmd->add_option("--code", opt->code, "Code model: role alias (7b), name or .gguf");
    cmd->add_option("--service", opt->services,
                    "NAME=MODEL[,ctx=N,parallel=N,batch=N,priority=N,min-ngl=N,port=N]");
    cmd->add_option("--quant", opt->quant, "File type for catalog models (default Q4_K_M)");
    cmd->add_option("--deployment", opt->deployment,
                    "Deployment profile: flags, ports, names (profiles/deployments)")
        ->capture_default_str();
    cmd->add_option("--reserve", opt->reserve_mib, "MiB other programs hold on the GPU");
    cmd->add_option("--headroom", opt->headroom,
                    "MiB or N% kept free (default: 256 MiB per service, at least 5%)");
    cmd->add_option("--host", opt->host, "Host profile (profiles/hosts)")->capture_default_str();
    cmd->add_option("--host-bandwidth", opt->host_bandwidth, "Host memory bandwidth, GB/s");
    cmd->add_option("--emit", opt->emit, "table, json, env, compose or markdown")
        ->check(CLI::IsMember({"table", "json", "env", "compose", "markdown"}))
        ->capture_default_str();
    cmd->add_option("--out-dir", opt->out_dir, "Write .env and the compose file there");
    cmd->add_flag("--force", opt->force, "Replace files vramplan did not write");
    cmd->footer("\nExamples:\n  vramplan solve --gpu rtx4050 --chat 3b --code 7b\n"
                "  vramplan solve --gpu rtx4050 --chat 3b --code 7b --emit env > .env\n"
                "  vramplan solve --gpu rtx4090 --service a=qwen2.5-14b-instruct,ctx=8192 "
                "--service b=code:7b\n"
                "Exit code 1 when the services cannot fit (the output says what would).");
    cmd->callback([opt, &ctx] {
        ctx.action = [opt, &ctx] {
            opt->command = ctx.command_line;
            return run(*opt, ctx);
        };
    });
}

} // namespace vramplan::cli
