#pragma once
// Parsing a llama-server command line (and its LLAMA_ARG_* environment variables) into
// ServerSettings, with llama-server's flag names, short and long, and its defaults
// (common/arg.cpp). Flags that do not change memory are accepted and listed as ignored, so a
// whole command line can be pasted.

#include <vramplan/estimate/context.hpp>

#include <map>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace vramplan {

struct ServerArgs {
    ServerSettings settings;
    std::optional<std::string> model;       // -m
    std::optional<std::string> draft_model; // -md
    std::optional<int> draft_gpu_layers;    // -ngld
    std::optional<std::string> mmproj;      // -mm
    std::optional<std::string> hf_repo;     // -hf: a model llama-server downloads
    std::optional<bool> fit;                // --fit on|off (llama-server's default: on)
    std::vector<std::string> ignored;       // flags (with their values) without memory effect
};

// Parses `args` (without the program name; a leading "llama-server" is skipped). Variables in
// `env` (LLAMA_ARG_*) apply first; the command line wins over them, as in llama-server.
// Throws ErrorKind::usage naming the flag for a bad value.
ServerArgs parse_server_args(std::span<const std::string> args,
                             const std::map<std::string, std::string>& env = {});

// The cache types llama-server accepts for -ctk / -ctv.
std::optional<GgmlType> parse_cache_type(std::string_view name);

// An -ngl value as llama-server takes it: a count, "all", or "auto" (and negative numbers mean
// auto). Throws vramplan::Error naming `flag`.
int parse_n_gpu_layers(const std::string& value, const std::string& flag);

} // namespace vramplan
