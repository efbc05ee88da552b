#pragma once
// The services of a compose file, read as Docker Compose reads them, reduced to what decides
// memory: image, entrypoint and command, environment (env_file included), published ports,
// volumes, GPU access, memory limit, start order, profiles and replicas. Positions are kept
// for every finding. docs/check.md lists what is read and what is not.

#include <vramplan/compose/compose_yaml.hpp>

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace vramplan {

struct PublishedPort {
    std::string host_ip; // "" means every address
    std::uint32_t host_port = 0;
    std::string protocol = "tcp";
    SourcePos pos;
};

struct VolumeMount {
    std::string source; // a host path or a named volume
    std::string target; // the path in the container
    SourcePos pos;
};

struct GpuAccess {
    bool granted = false;
    std::string how;                  // "deploy.resources.reservations.devices", "gpus", ...
    std::vector<std::string> devices; // device indices or UUIDs; empty: the default (all)
    int count = 0;                    // -1: all; 0: not given
    SourcePos pos;
};

struct ComposeService {
    std::string name;
    SourcePos pos;
    std::optional<std::string> image;
    std::optional<std::vector<std::string>> entrypoint;
    std::optional<std::vector<std::string>> command;
    SourcePos command_pos;
    std::map<std::string, std::string> environment; // env_file first, environment over it
    std::vector<PublishedPort> ports;
    std::vector<VolumeMount> volumes;
    GpuAccess gpu;
    std::optional<std::uint64_t> memory_limit; // bytes
    SourcePos memory_limit_pos;
    std::vector<std::string> depends_on;
    std::vector<std::string> profiles;
    std::uint32_t replicas = 1;
};

struct ComposeProject {
    std::string file;
    std::vector<ComposeService> services; // in file order
    std::vector<UnsetVariable> unset;
};

// Reads the services of `doc`; env_file paths are relative to `base_dir`. Throws vramplan::Error
// (data) at file:line:column for a value of the wrong shape.
ComposeProject read_compose(const ComposeDocument& doc, const std::filesystem::path& base_dir,
                            const VariableLookup& lookup);

// A compose file read as `docker compose` does: variables from `environment` first (the process
// environment), then the .env file: `env_file` when given, else .env beside the compose file when
// there is one. Throws vramplan::Error for unreadable or invalid input.
struct LoadedCompose {
    ComposeDocument document;
    ComposeProject project;
    VariableLookup lookup; // the environment, then the .env file (COMPOSE_PROFILES, say)
};
LoadedCompose load_compose(const std::filesystem::path& compose_file,
                           const std::optional<std::filesystem::path>& env_file,
                           const VariableLookup& environment);

// Docker's byte sizes: 6144M, 6g, 1.5GB, 512m, 1024k, or plain bytes (units of 1024).
std::optional<std::uint64_t> parse_byte_size(std::string_view text);

} // namespace vramplan
