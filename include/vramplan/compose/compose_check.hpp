#pragma once
// `vramplan check`: the llama-server services of a compose project, estimated as llama.cpp will
// allocate them, against the GPU they share and the containers' memory limits. Every finding
// names the service, the file and line, what was measured, and the fix. docs/check.md lists the
// rules.

#include <vramplan/compose/compose.hpp>
#include <vramplan/estimate/estimate.hpp>
#include <vramplan/estimate/server_args.hpp>
#include <vramplan/model/catalog.hpp>
#include <vramplan/plan/solver.hpp>

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace vramplan {

struct CheckOptions {
    GpuProfile gpu;
    std::uint64_t reserve_bytes = 0;
    std::string headroom; // as --headroom takes it; "" for the default
    HostProfile host;     // for the speed objective of suggested layer counts
    std::optional<std::filesystem::path> models_dir; // the host folder mounted at /models
    std::vector<std::string> profiles;               // active compose profiles
};

enum class Severity { error, warning };
std::string_view severity_name(Severity s);

struct Finding {
    Severity severity = Severity::error;
    std::string rule;    // a stable id: "gpu-memory", "memory-limit", ... (docs/check.md)
    std::string service; // "" when it concerns the project
    SourcePos pos;
    std::string message; // what was measured
    std::string fix;     // what would make it pass
};

struct CheckedService {
    std::string name;
    SourcePos pos;
    std::string gpu_device; // "" when the container gets no GPU
    std::uint32_t replicas = 1;
    ServerArgs args;
    std::optional<ResolvedModel> model;
    std::optional<MemoryEstimate> estimate; // nullopt when a finding says why not
    std::uint64_t vram_bytes = 0;           // one replica
    std::uint64_t host_bytes = 0;
    std::optional<std::uint64_t> memory_limit;
};

struct GpuUsage {
    std::string device; // "0", or the id the services name
    std::vector<std::string> services;
    std::uint64_t vram_bytes = 0;   // every replica of every service
    std::uint64_t budget_bytes = 0; // total - reserve - headroom
    std::uint64_t headroom_bytes = 0;
};

struct CheckResult {
    std::string compose_file;
    GpuProfile gpu;
    std::uint64_t reserve_bytes = 0;
    std::vector<CheckedService> services;    // the llama-server services that start
    std::vector<std::string> other_services; // "name (why it is not checked)"
    std::vector<GpuUsage> gpus;
    std::vector<Finding> findings; // errors first, then in file order

    std::size_t count(Severity s) const;
};

// Throws vramplan::Error only for what stops the whole check (none of the services can be read);
// everything about one service is a finding.
CheckResult check_compose(const ComposeProject& project, const Catalog& catalog,
                          const CheckOptions& options);

// Is this a llama-server container? By image (llama.cpp:server*, llama-server), or by the
// program its entrypoint or command runs. Returns the llama-server arguments when it is.
std::optional<std::vector<std::string>> llama_server_arguments(const ComposeService& s);

} // namespace vramplan
