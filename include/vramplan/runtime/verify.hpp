#pragma once
// `vramplan verify`: the deployment checklist of docs/verify.md walked against a plan: model
// files, the .env, baseline VRAM, the measured increase as each service starts against its
// prediction, and an optional load phase with the peak sampled. Each step passes, fails or is
// skipped with the reason.

#include <vramplan/compose/compose_check.hpp>
#include <vramplan/runtime/gpu_reader.hpp>
#include <vramplan/runtime/loadtest.hpp>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace vramplan {

struct VerifyService {
    std::string name;                        // the compose service: "inference-chat"
    std::string file;                        // the GGUF file name
    std::optional<std::uint64_t> file_bytes; // the file's size, where the catalog knows it
    std::optional<std::uint32_t> n_layer;    // repeating layers the file must have
    std::uint64_t vram_bytes = 0;            // predicted: every GPU buffer and the CUDA context
    std::uint16_t port = 0;                  // where llama-server listens
    std::vector<std::pair<std::string, std::string>> env; // the .env values planned for it
};

struct VerifyPlan {
    std::string source; // the plan file or compose file it was read from
    std::string gpu;    // the GPU profile it was planned for
    std::uint64_t total_bytes = 0;
    std::uint64_t headroom_bytes = 0;
    std::vector<VerifyService> services; // in start order
};

// The JSON `vramplan solve --emit json` writes. Throws ErrorKind::data naming `source` and the
// field that is missing or wrong.
VerifyPlan verify_plan_from_json(std::string_view text, const std::string& source);
// What `vramplan check` read from a compose file: the services on the first GPU, in file order,
// each at its first published port.
VerifyPlan verify_plan_from_check(const CheckResult& r, const ComposeProject& project);

enum class StepStatus { pass, fail, skip };
std::string_view step_status_name(StepStatus s);

struct VerifyStep {
    std::string id;      // stable: "gpu", "model-file", "env", "baseline", "start", "load"
    std::string service; // "" for a step about the whole deployment
    std::string title;   // what was checked, for the report
    StepStatus status = StepStatus::pass;
    std::optional<std::uint64_t> predicted_bytes;
    std::optional<std::uint64_t> measured_bytes;
    std::string detail; // what was found, or why it failed or was skipped
};

struct VerifyOptions {
    std::optional<std::filesystem::path> models_dir; // the host folder mounted at /models
    std::optional<std::filesystem::path> env_file;   // the .env the services start with
    std::uint64_t baseline_limit_bytes = 1ULL << 30; // VRAM in use before the first start
    // A start passes when |measured - predicted| <= max(tolerance_bytes, fraction * predicted).
    std::uint64_t tolerance_bytes = 64ULL << 20;
    double tolerance_fraction = 0.05;
    std::string host = "127.0.0.1";                  // where the services' ports are published
    std::chrono::milliseconds start_timeout{600000}; // until /health answers 200
    std::chrono::milliseconds settle{1000};          // after /health, before reading VRAM
    std::chrono::milliseconds poll{500};             // /health retries
    bool files_only = false;                         // steps that need no GPU and no running server
    std::uint32_t gpu_index = 0;
    std::optional<LoadtestOptions> load; // the load phase (endpoints come from the plan)
    // Variables the .env's values may refer to, as Compose resolves them (the CLI passes the
    // process environment; the library does not read it). Empty: none.
    VariableLookup environment;
};

struct VerifyHooks {
    // Starts one service (`--up`); throws vramplan::Error when it cannot. Empty: the user starts
    // the services, and verify waits for each one's /health.
    std::function<void(const VerifyService&)> start;
    // Progress for a person watching ("waiting for inference-chat at http://...").
    std::function<void(const std::string&)> status;
    // Every GPU reading taken during the run (`--watch`), with seconds since the start.
    std::function<void(double, const GpuSnapshot&)> on_reading;
};

struct VerifyResult {
    std::string plan_source;
    std::string gpu_source; // "NVML", "nvidia-smi"; "" with files_only
    std::string gpu_name;
    std::vector<VerifyStep> steps;
    std::optional<LoadtestResult> load;
    std::optional<LoadtestOptions> load_options;

    bool passed() const; // no step failed
};

// The `verify --up` command for one service: each {service} in `command` replaced by the
// service's name, shell-quoted (one literal word whatever the name holds; write {service} bare,
// not inside quotes).
std::string up_command(std::string_view command, const VerifyService& s);

// Walks the checklist. `gpu` may be null only with files_only.
VerifyResult run_verify(const VerifyPlan& plan, const VerifyOptions& options, GpuReader* gpu,
                        const VerifyHooks& hooks = {});

// The steps on their own, for tests and for `files_only`.
VerifyStep check_model_file(const VerifyService& s, const std::filesystem::path& models_dir);
// `environment`: the variables .env values may refer to (empty: none).
VerifyStep check_env_values(const VerifyPlan& plan, std::string_view env_text,
                            const std::string& source, const VariableLookup& environment = {});
// The tolerance for a prediction: the larger of tolerance_bytes and tolerance_fraction of it.
std::uint64_t tolerance_for(std::uint64_t predicted, const VerifyOptions& o);
// Is `measured` within the tolerance of `predicted`?
bool within_tolerance(std::uint64_t predicted, std::uint64_t measured, const VerifyOptions& o);
// Where a service answers: http://HOST:PORT (an IPv6 host in brackets). Throws
// ErrorKind::usage for a host that is not one.
Endpoint service_endpoint(const std::string& host, std::uint16_t port);

} // namespace vramplan
