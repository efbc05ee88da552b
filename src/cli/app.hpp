#pragma once
// The command-line front end: CLI11 parsing, data-folder lookup, printing. Everything else is
// library code.

#include <vramplan/compose/compose_check.hpp>
#include <vramplan/model/catalog.hpp>
#include <vramplan/model/gpu_profile.hpp>
#include <vramplan/plan/solver.hpp>

#include <CLI/CLI.hpp>

#include <cstdint>
#include <filesystem>
#include <functional>
#include <iosfwd>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace vramplan::cli {

struct Context {
    std::string data_dir; // --data-dir; empty: VRAMPLAN_DATA_DIR, installed or source data
    std::function<int()> action;
    std::string command_line; // as typed, for the headers of written files

    std::filesystem::path resolved_data_dir() const;
    Catalog catalog() const;
    GpuProfiles gpus() const;
};

// The GPU, host profile and reserve that `solve` and `scenarios` plan against (headroom depends
// on the services, so the caller sets it). `host_bandwidth` > 0 overrides the host profile.
SolveOptions budget_options(const Context& ctx, const std::string& gpu, const std::string& host,
                            double host_bandwidth, double reserve_mib);

// A compose project as `check` reads it (and `verify` from a compose file).
struct ComposeInputs {
    std::string compose_file;
    std::string env_file;
    std::string gpu;
    std::string host = "default";
    double host_bandwidth = 0;
    double reserve_mib = 0;
    std::string headroom;
    std::string models_dir;
    std::vector<std::string> profiles;
};
struct ComposeCheck {
    ComposeProject project;
    CheckResult result;
};
ComposeCheck run_compose_check(const Context& ctx, const ComposeInputs& in);
// The options above, for a command (`compose_required`: the file and --gpu must be given).
void add_compose_options(CLI::App* cmd, ComposeInputs& in, bool compose_required);

// A variable of the process environment (compose interpolation, verify's .env values).
std::optional<std::string> process_env(std::string_view name);

// --gpu-source (or VRAMPLAN_GPU_SOURCE): auto, nvml or nvidia-smi, into `source`.
void add_gpu_source_option(CLI::App* cmd, std::string& source, const std::string& description);

// The ranges of the numeric flags: wide enough for any real deployment, narrow enough that
// no later product or conversion overflows.
inline constexpr double k_max_mib = 1e7;             // 10 TiB: more than any GPU or host
inline constexpr double k_max_bandwidth_gb_s = 1e5;  // 100 TB/s
inline constexpr double k_min_seconds = 0.001;       // a timeout of zero would never wait
inline constexpr double k_max_seconds = 7 * 86400.0; // a week
inline constexpr std::uint32_t k_max_pid = 1U << 22; // Linux's PID_MAX_LIMIT
inline constexpr std::uint32_t k_max_concurrency = 4096;
inline constexpr std::uint64_t k_max_requests = 1000000000;
inline constexpr std::uint32_t k_max_tokens = 1U << 24;
inline constexpr std::uint32_t k_max_gpu_index = 1023;

// A numeric option read through the one checked conversion (numbers.hpp): a value outside
// [min, max], NaN, infinity or a stray sign is a usage error naming the flag and the range.
// `show_default`: --help shows the target's value as the default.
CLI::Option* add_number_option(CLI::App* cmd, const std::string& names, double& target, double min,
                               double max, const std::string& description,
                               bool show_default = false);
CLI::Option* add_number_option(CLI::App* cmd, const std::string& names, std::uint64_t& target,
                               std::uint64_t min, std::uint64_t max, const std::string& description,
                               bool show_default = false);
CLI::Option* add_number_option(CLI::App* cmd, const std::string& names, std::uint32_t& target,
                               std::uint32_t min, std::uint32_t max, const std::string& description,
                               bool show_default = false);

// Writes `text` to stdout; stdout carries only the requested output.
void print(const std::string& text);

void register_inspect(CLI::App& app, Context& ctx);
void register_models(CLI::App& app, Context& ctx);
void register_gpus(CLI::App& app, Context& ctx);
void register_synth(CLI::App& app, Context& ctx);
void register_solve(CLI::App& app, Context& ctx);
void register_scenarios(CLI::App& app, Context& ctx);
void register_check(CLI::App& app, Context& ctx);
void register_calibrate(CLI::App& app, Context& ctx);
void register_loadtest(CLI::App& app, Context& ctx);
void register_verify(CLI::App& app, Context& ctx);

// `estimate` parses its own arguments: llama-server flags do not fit CLI11's option model.
int run_estimate(const Context& ctx, std::span<const std::string> argv);

// Parses argv, runs the chosen command and returns the exit code. Throws vramplan::Error.
int run(int argc, char** argv);

} // namespace vramplan::cli
