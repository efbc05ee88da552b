#pragma once
// Building the services to plan: from a role (--chat 3b), a spec (--service NAME=MODEL,ctx=N),
// or a plan file (--plan plan.yaml), with the deployment profile's defaults.

#include <vramplan/model/catalog.hpp>
#include <vramplan/plan/deployment.hpp>
#include <vramplan/plan/solver.hpp>

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace vramplan {

// A service for `role` (chat, code): name, port and priority from the deployment.
ServiceRequest role_service(const std::string& role, const std::string& model,
                            const Catalog& catalog, const Deployment& d,
                            const std::optional<std::string>& quant);

// NAME=MODEL[,ctx=N,parallel=N,batch=N,priority=N,min-ngl=N,port=N]
ServiceRequest spec_service(const std::string& spec, const Catalog& catalog, const Deployment& d,
                            const std::optional<std::string>& quant, std::uint16_t default_port);

// A plan file: what `solve` plans when given --plan (docs/solver.md).
struct PlanFile {
    std::optional<std::string> gpu;
    std::optional<std::string> deployment;
    std::optional<std::string> headroom; // "512" (MiB) or "10%"
    std::optional<double> reserve_mib;
    std::vector<ServiceRequest> services;
};
// `load_deployment` gets the file's deployment name (or nullopt) and returns the profile whose
// defaults the services take.
PlanFile
parse_plan_file(std::string_view yaml_text, const std::string& source, const Catalog& catalog,
                const std::function<Deployment(const std::optional<std::string>&)>& load_deployment,
                const std::optional<std::string>& quant);

// One row of `vramplan scenarios`: fixed layer counts, or the solver's choice.
struct Scenario {
    std::string name;
    bool solve = false;
    std::vector<ServiceRequest> services;
    std::vector<int> n_gpu_layers; // per service, when not solved
};
std::vector<Scenario> parse_scenarios(std::string_view yaml_text, const std::string& source,
                                      const Catalog& catalog, const Deployment& d);

// The prefix of a service's .env variables: its role, else its name ("CHAT", "EMBED_1").
std::string env_prefix(const ServiceRequest& r);

// The services of one plan, made ready to become one compose project and one .env: a service
// without a port gets the lowest free one from `first_port` on; names, .env prefixes and ports
// must be unique (ErrorKind::usage naming both services otherwise).
void assign_ports_and_check(std::vector<ServiceRequest>& services, std::uint16_t first_port);

// --headroom: MiB ("512", "512MiB") or a share of the GPU ("10%"); default when empty: 256 MiB
// per service, at least 5% of the GPU.
std::uint64_t headroom_bytes(const std::string& text, std::uint64_t total, std::size_t services);

} // namespace vramplan
