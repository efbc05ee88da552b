#pragma once
// Rendering a plan: the terminal table, JSON for scripts, and the files a team deploys with
// (.env, a compose fragment, a Markdown table). docs/solver.md shows each.

#include <vramplan/plan/deployment.hpp>
#include <vramplan/plan/solver.hpp>

#include <string>
#include <utility>
#include <vector>

namespace vramplan {

struct PlanContext {
    const Deployment* deployment = nullptr;
    std::string command; // the command line that produced the plan, for file headers
    ComputeRates rates;  // peak rates the speeds come from (host compute for every core)
    std::uint64_t reserve_bytes = 0;
    std::uint64_t headroom_bytes = 0;
    std::string gpu_name;         // the profile planned for: "rtx4050-laptop"
    std::string gpu_display_name; // as nvidia-smi names it
};

// The context of a plan solved with `options`: bandwidths, reserve and headroom as solved.
PlanContext plan_context(const SolveOptions& options, const Deployment* deployment,
                         std::string command = {});

// Every file vramplan writes starts with this marker; --out-dir replaces only such files.
inline constexpr const char* k_written_by = "# Written by vramplan";

std::string render_plan_text(const Plan& p, const PlanContext& c);
std::string render_plan_json(const Plan& p, const PlanContext& c);
std::string render_plan_env(const Plan& p, const PlanContext& c);
std::string render_plan_compose(const Plan& p, const PlanContext& c);
std::string render_plan_markdown(const Plan& p, const PlanContext& c);

// The llama-server arguments of a planned service, as the compose file passes them.
std::vector<std::string> server_flags(const ServicePlan& s, const PlanContext& c);
// A .env value that Compose's .env reader and vramplan's read back as `value`: bare, in single
// quotes, or refused (vramplan::Error, usage, at `key`) when neither can hold it literally.
std::string env_file_value(const std::string& key, const std::string& value);

// A compose-file YAML double-quoted scalar: `literal` with its $ doubled and control characters
// escaped, so that Compose's interpolation gives it back unchanged, then `reference` (a ${VAR}
// meant to be interpolated) as it is.
std::string compose_quoted(std::string_view literal, std::string_view reference = {});

// The .env values of a planned service (--emit env writes them; verify compares them).
std::vector<std::pair<std::string, std::string>> plan_env_values(const ServicePlan& s);
// The .env variable prefix of a service: CHAT, CODE, or the service name in capitals.

} // namespace vramplan
