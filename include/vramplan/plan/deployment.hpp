#pragma once
// Deployment profiles (profiles/deployments/*.yaml): the llama-server flags, container limits
// and service names a team uses, and host profiles (profiles/hosts/*.yaml) for the throughput
// model. docs/data-files.md.

#include <vramplan/estimate/throughput.hpp>

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace vramplan {

struct RoleDefaults {
    std::string service; // "inference-chat"
    std::uint16_t port = 0;
    int priority = 1;
    std::optional<Workload> workload; // this role's typical request, if it differs
};

struct Deployment {
    std::string name;
    std::string image;
    std::string models_dir = "/models";
    std::string compose_file = "compose.yml";
    std::uint32_t ctx = 0;
    std::uint32_t batch = 2048;
    std::uint32_t threads = 0;
    int parallel = -1;
    bool cont_batching = true;
    Workload workload; // the typical request the speed model measures
    std::uint32_t container_cpus = 0;
    std::uint64_t container_memory_mib = 0;
    std::map<std::string, RoleDefaults> roles;
    std::string source_path;
};

Deployment parse_deployment(std::string_view yaml_text, const std::string& source);
Deployment load_deployment(const std::filesystem::path& data_dir, std::string_view name);

struct HostProfile {
    std::string name;
    double bandwidth_gb_s = 0;
    std::string bandwidth_source;
    // Prompt processing on the CPU (throughput.hpp): peak FP32 GFLOPS of one core and the cores.
    std::uint32_t cores = 0;
    double core_gflops = 0;
    std::string compute_source;

    // What `threads` llama.cpp threads can compute (0: every core).
    double gflops(std::uint32_t threads) const;
};

HostProfile parse_host_profile(std::string_view yaml_text, const std::string& source);
HostProfile load_host_profile(const std::filesystem::path& data_dir, std::string_view name);

// The container memory limit (MiB) for a server keeping `host_bytes` in host RAM: a quarter
// more, rounded up to 256 MiB, at least `floor_mib`. The policy of the compose files `solve`
// writes and of the limits `check` suggests.
std::uint64_t recommended_container_memory_mib(std::uint64_t host_bytes, std::uint64_t floor_mib);

} // namespace vramplan
