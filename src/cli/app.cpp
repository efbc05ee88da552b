#include "app.hpp"

#include <unistd.h>

#include <vramplan/base/error.hpp>
#include <vramplan/base/numbers.hpp>
#include <vramplan/base/strings.hpp>
#include <vramplan/base/suggest.hpp>
#include <vramplan/base/units.hpp>
#include <vramplan/base/user_config.hpp>
#include <vramplan/compose/shell_words.hpp>
#include <vramplan/plan/deployment.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <cstdlib>
#include <iostream>

#ifndef VRAMPLAN_VERSION
#define VRAMPLAN_VERSION "dev"
#endif

namespace vramplan::cli {

namespace {

constexpr const char* k_footer = R"(
Exit codes: 0 ok, 1 does not fit / check failed, 2 bad input or usage, 3 internal error.
Environment: VRAMPLAN_DATA_DIR (folder with models/ and profiles/), NO_COLOR.
Docs: docs/cli.md)";

std::filesystem::path executable_dir() {
    std::error_code ec;
    const auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
    return ec ? std::filesystem::path{} : exe.parent_path();
}

} // namespace

std::filesystem::path Context::resolved_data_dir() const {
    if (!data_dir.empty()) {
        return data_dir;
    }
    if (const char* env = std::getenv("VRAMPLAN_DATA_DIR"); env != nullptr && *env != '\0') {
        return env;
    }
    std::error_code ec;
    const auto installed = executable_dir() / ".." / "share" / "vramplan";
    if (std::filesystem::is_directory(installed / "models", ec)) {
        return installed;
    }
#ifdef VRAMPLAN_INSTALL_DATA_DIR
    if (std::filesystem::is_directory(std::filesystem::path(VRAMPLAN_INSTALL_DATA_DIR) / "models",
                                      ec)) {
        return VRAMPLAN_INSTALL_DATA_DIR;
    }
#endif
#ifdef VRAMPLAN_SOURCE_DATA_DIR
    return VRAMPLAN_SOURCE_DATA_DIR;
#else
    return ".";
#endif
}

Catalog Context::catalog() const {
    return Catalog::load(resolved_data_dir() / "models");
}

GpuProfiles Context::gpus() const {
    GpuProfiles g = GpuProfiles::load(resolved_data_dir() / "profiles" / "gpus");
    if (const auto config = user_config_dir(process_env)) {
        g.apply_overrides(*config / "gpus"); // what calibrate --save measured here
    }
    return g;
}

std::optional<std::string> process_env(std::string_view name) {
    const char* v = std::getenv(std::string(name).c_str());
    return v == nullptr ? std::nullopt : std::optional<std::string>(v);
}

void add_gpu_source_option(CLI::App* cmd, std::string& source, const std::string& description) {
    cmd->add_option("--gpu-source", source, description)
        ->envname("VRAMPLAN_GPU_SOURCE")
        ->capture_default_str();
}

SolveOptions budget_options(const Context& ctx, const std::string& gpu, const std::string& host,
                            double host_bandwidth, double reserve_mib) {
    SolveOptions so;
    so.gpu = ctx.gpus().resolve(gpu);
    so.host = load_host_profile(ctx.resolved_data_dir(), host);
    if (host_bandwidth > 0) {
        so.host.bandwidth_gb_s = host_bandwidth;
        so.host.bandwidth_source = "--host-bandwidth";
    }
    so.reserve_bytes = static_cast<std::uint64_t>(reserve_mib * static_cast<double>(k_mib));
    return so;
}

namespace {

// The flag's longest name ("--reserve" of "-r,--reserve"), for messages.
std::string flag_name(const std::string& names) {
    std::string best;
    for (const auto& n : split(names, ',')) {
        best = n.size() > best.size() ? n : best;
    }
    return best;
}

template <typename T, typename Convert>
CLI::Option* add_checked(CLI::App* cmd, const std::string& names, T& target,
                         const std::string& description, bool show_default, Convert convert) {
    const std::string flag = flag_name(names);
    CLI::Option* o = cmd->add_option_function<std::string>(
        names, [&target, flag, convert](const std::string& v) { target = convert(v, flag); },
        description);
    o->type_name("NUMBER");
    if (show_default) {
        o->default_str(fmt::format("{}", target));
    }
    return o;
}

} // namespace

CLI::Option* add_number_option(CLI::App* cmd, const std::string& names, double& target, double min,
                               double max, const std::string& description, bool show_default) {
    return add_checked(cmd, names, target, description, show_default,
                       [min, max](const std::string& v, const std::string& flag) {
                           return checked_number(v, min, max, flag);
                       });
}

CLI::Option* add_number_option(CLI::App* cmd, const std::string& names, std::uint64_t& target,
                               std::uint64_t min, std::uint64_t max, const std::string& description,
                               bool show_default) {
    return add_checked(cmd, names, target, description, show_default,
                       [min, max](const std::string& v, const std::string& flag) {
                           return checked_unsigned(v, min, max, flag);
                       });
}

CLI::Option* add_number_option(CLI::App* cmd, const std::string& names, std::uint32_t& target,
                               std::uint32_t min, std::uint32_t max, const std::string& description,
                               bool show_default) {
    return add_checked(cmd, names, target, description, show_default,
                       [min, max](const std::string& v, const std::string& flag) {
                           return static_cast<std::uint32_t>(checked_unsigned(v, min, max, flag));
                       });
}

void print(const std::string& text) {
    std::cout << text << std::flush;
}

int run(int argc, char** argv) {
    CLI::App app{"vramplan " VRAMPLAN_VERSION
                 ": plan GPU memory for llama.cpp (llama-server) deployments.\n\n"
                 "Examples:\n"
                 "  vramplan models                          the model catalog\n"
                 "  vramplan gpus                            the GPU profiles\n"
                 "  vramplan inspect model.gguf              what a GGUF file holds, per layer\n"
                 "  vramplan synth qwen2.5-7b-instruct --quant Q4_K_M --out q7.gguf\n",
                 "vramplan"};
    app.footer(k_footer);
    app.set_version_flag("--version", VRAMPLAN_VERSION);
    app.require_subcommand(1);

    Context ctx;
    // Shell-quoted and on one line: it heads written files as a comment.
    std::vector<std::string> words{"vramplan"};
    words.insert(words.end(), argv + 1, argv + argc);
    ctx.command_line = render_command_line(words);
    app.add_option("--data-dir", ctx.data_dir,
                   "Folder holding models/ and profiles/ (default: the installed data)");

    register_inspect(app, ctx);
    register_models(app, ctx);
    register_gpus(app, ctx);
    register_synth(app, ctx);
    register_solve(app, ctx);
    register_scenarios(app, ctx);
    register_check(app, ctx);
    register_calibrate(app, ctx);
    register_loadtest(app, ctx);
    register_verify(app, ctx);
    app.add_subcommand("estimate", "Estimate llama.cpp's memory for a model and llama-server "
                                   "flags (vramplan estimate --help)")
        ->allow_extras();

    // An unknown command word gets a precise message and suggestions (CLI11 would only say
    // that a subcommand is required).
    std::vector<std::string> names;
    for (const CLI::App* sub : app.get_subcommands({})) {
        names.push_back(sub->get_name());
    }
    if (argc > 1 && argv[1][0] != '-' &&
        std::find(names.begin(), names.end(), argv[1]) == names.end()) {
        throw Error(ErrorKind::usage, {}, std::string("unknown command '") + argv[1] + "'",
                    suggestion_hint(argv[1], names) + "; run 'vramplan --help' for usage");
    } // estimate: global options first, then its own parser for the rest.
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        if (a == "--data-dir" && i + 1 < argc) {
            ctx.data_dir = argv[++i];
            continue;
        }
        if (a == "estimate") {
            const std::vector<std::string> rest(argv + i + 1, argv + argc);
            return run_estimate(ctx, rest);
        }
        break;
    }
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        if (e.get_exit_code() == 0) {
            return app.exit(e); // --help, --version
        }
        throw Error(ErrorKind::usage, {}, e.what(), "run 'vramplan --help' for usage");
    }
    return ctx.action ? ctx.action() : k_exit_ok;
}

} // namespace vramplan::cli
