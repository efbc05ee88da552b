#pragma once
// Service names: they become compose keys, .env variable prefixes, shell words (verify --up)
// and table cells, so every route that takes one (--service, plan and scenario files, compose
// files) holds it to the rule Compose itself applies.

#include <vramplan/base/error.hpp>

#include <string>
#include <string_view>

namespace vramplan {

// [a-zA-Z0-9][a-zA-Z0-9._-]*: the compose-spec schema's service names, leading alphanumeric.
bool is_service_name(std::string_view name);

// Throws vramplan::Error (`kind`, at `where`) when `name` is not a service name.
void check_service_name(std::string_view name, ErrorKind kind, const std::string& where);

// The .env prefix of a service's variables: letters upper-cased, everything else '_'
// ("inference-chat" -> "INFERENCE_CHAT", "1b" -> "_1B"). Two names may share one ("a-b", "a.b"):
// callers that write files check that they do not.
std::string env_prefix_of(std::string_view name);

} // namespace vramplan
